"""Fixtures for the CPython-only core tests."""
import pathlib
import sys

import pytest

from plugdot import _discovery

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """Install fake plugin distributions: ``fake_plugins(name, source)``
    writes a module and a dist-info with a ``plugdot`` entry point."""
    monkeypatch.syspath_prepend(str(tmp_path))
    _discovery.reset()

    def install(name, source, version='1.2.3'):
        module = 'fakeplug_' + name
        (tmp_path / (module + '.py')).write_text(source)
        dist = tmp_path / ('fakeplug_%s-%s.dist-info' % (name, version))
        dist.mkdir()
        (dist / 'METADATA').write_text('Metadata-Version: 2.1\nName: fakeplug-%s\nVersion: %s\n'
                                       % (name, version))
        (dist / 'entry_points.txt').write_text('[plugdot]\n%s = %s\n' % (name, module))
        _discovery.reset()
        sys.modules.pop(module, None)
        return module
    yield install
    _discovery.reset()
