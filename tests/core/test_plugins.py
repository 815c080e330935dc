"""Plugin discovery, allow/block lists, failures, plugin listing."""
import pytest

from plugdot import App, PluginError
from plugdot.plugins import BUILTIN_PLUGINS, make_plugin_manager, plugin_info
from plugdot.testing import TestClient

GOOD = '''
def plugdot_after_request(request, response):
    response.headers['X-Fake'] = 'on'
'''


def names(pm):
    return [n for n, _, _ in plugin_info(pm)]


def test_builtins_are_ordinary_plugins_registered_first():
    pm = make_plugin_manager(plugins=[])
    assert names(pm)[:len(BUILTIN_PLUGINS)] == list(BUILTIN_PLUGINS)
    info = dict((n, h) for n, _, h in plugin_info(pm))
    assert info['plugdot.routing'] == ['plugdot_resolve']
    assert info['plugdot.response'] == ['plugdot_make_response']


def test_entry_point_plugins_are_discovered_and_used(fake_plugins):
    fake_plugins('good', GOOD)
    app = App()
    assert 'good' in names(app.plugins)

    @app.get('/')
    async def index(request):
        return 'x'

    assert TestClient(app).get('/').headers['x-fake'] == 'on'
    rows = dict((n, (v, h)) for n, v, h in plugin_info(app.plugins))
    assert rows['good'] == ('1.2.3', ['plugdot_after_request'])


def test_explicit_list_and_block_list(fake_plugins, monkeypatch):
    fake_plugins('good', GOOD)
    fake_plugins('other', GOOD)
    assert 'good' not in names(make_plugin_manager(plugins=['other']))
    assert 'other' in names(make_plugin_manager(plugins=['other']))
    assert 'good' not in names(make_plugin_manager(block_plugins=['good']))
    assert 'other' in names(make_plugin_manager(block_plugins=['good']))
    monkeypatch.setenv('PLUGDOT_PLUGINS', 'good')
    assert 'good' in names(make_plugin_manager()) and 'other' not in names(make_plugin_manager())
    monkeypatch.setenv('PLUGDOT_PLUGINS', '')
    assert 'good' not in names(make_plugin_manager())
    monkeypatch.delenv('PLUGDOT_PLUGINS')
    monkeypatch.setenv('PLUGDOT_BLOCK_PLUGINS', 'good, other')
    assert not {'good', 'other'} & set(names(make_plugin_manager()))


def test_module_names_and_objects_in_the_list():
    class Obj:
        def plugdot_after_request(self, request, response):
            response.headers['X-Obj'] = '1'

    pm = make_plugin_manager(plugins=['json', Obj()])  # json: a module without hooks
    assert 'json' in names(pm)


def test_plugin_failing_to_import_is_named(fake_plugins):
    fake_plugins('broken', 'raise ImportError("needs libfoo")\n')
    with pytest.raises(PluginError, match=r"'broken'.*failed to import.*needs libfoo"):
        App()


def test_unknown_hook_is_named(fake_plugins):
    fake_plugins('typo', 'def plugdot_befor_request(request):\n    pass\n')
    with pytest.raises(PluginError, match=r"'typo'.*plugdot_befor_request"):
        App()


def test_unknown_plugin_name_is_an_error():
    with pytest.raises(PluginError, match='no_such_plugin_xyz'):
        make_plugin_manager(plugins=['no_such_plugin_xyz'])


def test_hookimpl_taking_a_subset_of_arguments(fake_plugins):
    fake_plugins('subset', 'def plugdot_after_request(response):\n'
                           '    response.headers["X-Subset"] = "1"\n')
    app = App(plugins=['subset'])

    @app.get('/')
    async def index(request):
        return 'x'

    assert TestClient(app).get('/').headers['x-subset'] == '1'


def test_settings_declared_by_plugins_and_environment(fake_plugins, monkeypatch):
    fake_plugins('conf', 'def plugdot_settings():\n'
                         '    return {"conf_level": (3, "how much"), "conf_on": (False, "x")}\n')
    monkeypatch.setenv('PLUGDOT_CONF_LEVEL', '7')
    monkeypatch.setenv('PLUGDOT_CONF_ON', 'yes')
    app = App(plugins=['conf'], config={'conf_level': 5})
    assert app.config['conf_level'] == 7 and app.config['conf_on'] is True
    assert app.config.help['conf_level'] == 'how much'
    monkeypatch.setenv('PLUGDOT_CONF_LEVEL', 'lots')
    with pytest.raises(ValueError, match='PLUGDOT_CONF_LEVEL'):
        App(plugins=['conf'])


def test_app_created_hook_is_historic(fake_plugins):
    fake_plugins('routes', 'def plugdot_app_created(app):\n'
                           '    @app.get("/from-plugin")\n'
                           '    async def f(request):\n'
                           '        return "added by a plugin"\n')
    app = App(plugins=['routes'])
    assert TestClient(app).get('/from-plugin').text == 'added by a plugin'

    class Late:
        seen = []

        def plugdot_app_created(self, app):
            self.seen.append(app)

    late = Late()
    app.register_plugin(late)
    assert late.seen == [app]


def test_asgi_scope_hook_takes_websocket(fake_plugins):
    fake_plugins('ws', 'async def plugdot_asgi_scope(app, scope, receive, send):\n'
                       '    if scope["type"] != "websocket":\n'
                       '        return None\n'
                       '    await send({"type": "websocket.accept"})\n'
                       '    return True\n')
    import asyncio
    sent = []

    async def run(app):
        async def receive():
            return {'type': 'websocket.connect'}

        async def send(m):
            sent.append(m)
        await app({'type': 'websocket', 'path': '/', 'headers': []}, receive, send)

    asyncio.run(run(App(plugins=[])))
    assert sent == [{'type': 'websocket.close', 'code': 1008}]
    del sent[:]
    asyncio.run(run(App(plugins=['ws'])))
    assert sent == [{'type': 'websocket.accept'}]


def test_hook_specs_of_a_module_are_read_as_pluggy_reads_them(tmp_path, monkeypatch):
    # plugdot reads a module's @hookspec options directly (startup time);
    # for every kind of attribute the answer is pluggy's own.
    import sys

    import pluggy

    import plugdot.hookspecs
    from plugdot.plugins import PluginManager
    (tmp_path / 'specmix.py').write_text(
        'import functools\n'
        'from plugdot.hookspecs import hookspec\n'
        '@hookspec(firstresult=True)\n'
        'def plugdot_first(request):\n    """A spec."""\n'
        '@hookspec\n'
        'def plugdot_plain(app):\n    """A spec."""\n'
        'def plugdot_unmarked(app):\n    pass\n'
        'plugdot_text = "not a hook"\n'
        'plugdot_lambda = hookspec(lambda app: None)\n'
        'plugdot_partial = functools.partial(plugdot_plain)\n'
        'class Specs:\n'
        '    @hookspec(historic=True)\n'
        '    def plugdot_in_class(self, app):\n        """A spec."""\n'
        'plugdot_static = staticmethod(hookspec(lambda app: None))\n'
        'plugdot_bound = Specs().plugdot_in_class\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    import specmix
    pm = PluginManager()
    for namespace in (plugdot.hookspecs, specmix, specmix.Specs):
        for name in dir(namespace):
            assert (pm.parse_hookspec_opts(namespace, name)
                    == pluggy.PluginManager.parse_hookspec_opts(pm, namespace, name)), name
    assert pm.parse_hookspec_opts(specmix, 'plugdot_first')['firstresult'] is True
    assert pm.parse_hookspec_opts(specmix, 'plugdot_unmarked') is None
    sys.modules.pop('specmix', None)


def test_discovery_skips_what_is_not_a_plugdot_entry_point(tmp_path, monkeypatch):
    from plugdot import _discovery
    first, second = tmp_path / 'first', tmp_path / 'second'
    for folder in (first, second):
        folder.mkdir()
    (first / 'nothing-1.0.dist-info').mkdir()  # no entry_points.txt
    (first / 'other-1.0.dist-info').mkdir()
    (first / 'other-1.0.dist-info' / 'entry_points.txt').write_text(
        '[console_scripts]\nother = other:main\n')
    (first / 'latin-2.0.dist-info').mkdir()  # not UTF-8 outside the plugdot section
    (first / 'latin-2.0.dist-info' / 'entry_points.txt').write_bytes(
        b'[console_scripts]\ncaf\xe9 = latin:main\n\n[plugdot]\nlatin = latin_plugin\n')
    (first / 'old.egg-info').write_text('Metadata-Version: 1.0\n')  # a file, not a folder
    (first / 'egg-3.0.egg-info').mkdir()
    (first / 'egg-3.0.egg-info' / 'entry_points.txt').write_text(
        '# comment\n[plugdot]\n; other comment\negg = egg_plugin:Plugin.instance\n')
    (second / 'dup-9.0.dist-info').mkdir()  # the first folder on sys.path wins
    (second / 'dup-9.0.dist-info' / 'entry_points.txt').write_text(
        '[plugdot]\nlatin = shadowed\n')
    eps = _discovery._scan_entry_points([str(first), str(tmp_path / 'missing'), str(second)])
    assert [(ep.name, ep.value, ep.dist, ep.version) for ep in eps] == [
        ('egg', 'egg_plugin:Plugin.instance', 'egg', '3.0'),
        ('latin', 'latin_plugin', 'latin', '2.0')]
