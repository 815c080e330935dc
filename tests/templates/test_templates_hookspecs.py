"""Hooks a plugin defines (``PLUGDOT_HOOKSPECS``): declared before any
plugin registers, whatever the order the plugins load in."""
import pathlib
import sys

import pytest

from plugdot import App, PluginError, _discovery
from plugdot.testing import TestClient
from plugdot_templates import render_template


@pytest.fixture
def pages():
    """The folder of the test templates."""
    return str(pathlib.Path(__file__).resolve().parent / 'pages')


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a fake plugin distribution with a ``plugdot`` entry point."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(entry_name, module, source):
        (tmp_path / (module + '.py')).write_text(source)
        dist = tmp_path / ('%s-1.0.dist-info' % module)
        dist.mkdir()
        (dist / 'METADATA').write_text('Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' % module)
        (dist / 'entry_points.txt').write_text('[plugdot]\n%s = %s\n' % (entry_name, module))
        sys.modules.pop(module, None)
        _discovery.reset()
    yield install
    _discovery.reset()


def test_a_plugin_loaded_before_templates_implements_its_hook(installed, pages):
    # "aaa" sorts before "templates": it registers first.
    installed('aaa', 'tplhook_aaa',
              'def plugdot_template_context(request):\n    return {"who": "aaa"}\n')
    app = App(config={'templates_dir': pages})
    assert 'aaa' in dict(app.plugins.list_name_plugin())

    @app.get('/')
    async def index(request):
        return render_template('context.html', site='s')

    @app.get('/hello/<name>')
    async def hello(request, name):
        return name

    assert TestClient(app).get('/').text == 's|aaa|/hello/Ann'


def test_a_misspelt_plugin_hook_is_still_an_error(installed):
    installed('aab', 'tplhook_aab', 'def plugdot_template_contxt(request):\n    return {}\n')
    with pytest.raises(PluginError, match='aab'):
        App()


def test_without_the_templates_plugin_its_hooks_are_unknown(installed):
    installed('aac', 'tplhook_aac', 'def plugdot_template_dirs():\n    return []\n')
    with pytest.raises(PluginError, match='plugdot_template_dirs'):
        App(block_plugins=['templates'])
