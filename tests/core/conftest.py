"""Fixtures for the CPython-only core tests."""
import pathlib
import subprocess
import sys

import pytest
from support import free_port, wait_for_port

from plugdot import plugins

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """Install fake plugin distributions: ``fake_plugins(name, source)``
    writes a module and a dist-info with a ``plugdot`` entry point."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, '_entry_points', None)

    def install(name, source, version='1.2.3'):
        module = 'fakeplug_' + name
        (tmp_path / (module + '.py')).write_text(source)
        dist = tmp_path / ('fakeplug_%s-%s.dist-info' % (name, version))
        dist.mkdir()
        (dist / 'METADATA').write_text('Metadata-Version: 2.1\nName: fakeplug-%s\nVersion: %s\n'
                                       % (name, version))
        (dist / 'entry_points.txt').write_text('[plugdot]\n%s = %s\n' % (name, module))
        plugins._entry_points = None
        sys.modules.pop(module, None)
        return module
    yield install
    plugins._entry_points = None


@pytest.fixture
def serve_cli():
    """Start ``plugdot run TARGET`` on a free 127.0.0.1 port; yield its base URL.
    The server is stopped when the test ends."""
    procs = []

    def start(target, *extra):
        port = free_port()
        proc = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run', target,
                                 '--host', '127.0.0.1', '--port', str(port), *extra],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_for_port(port, proc)
        return 'http://127.0.0.1:%d' % port
    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
