"""The board's plugin manager (plugdot._table) replays the hook table
``plugdot bundle`` resolves with pluggy, and places plugins registered at
run time exactly where pluggy places them."""
import sys
import types

import pytest

from plugdot import App, PluginError
from plugdot._table import TablePluginManager, from_bundle, hookimpl as table_hookimpl
from plugdot.plugins import BUILTIN_PLUGINS, hookimpl, make_plugin_manager
from plugdot.testing import TestClient
from plugdot_mpy_server.bundle import _hook_tables


def _plugin_module(name, label, marker):
    """A plugin module whose hooks record *label* in request.state-like lists."""
    module = types.ModuleType(name)

    def plugdot_before_request(request):
        if isinstance(request, Probe):
            request.calls.append(label)

    def plugdot_after_request(response):  # a subset of the arguments
        if isinstance(response, Probe):
            response.calls.append(label)

    def plugdot_app_created(app):
        if isinstance(app, Probe):
            app.created.append(label)

    def plugdot_resolve(request):
        return label if label == 'second' else None

    module.plugdot_before_request = plugdot_before_request
    module.plugdot_after_request = plugdot_after_request
    module.plugdot_app_created = plugdot_app_created
    module.plugdot_resolve = plugdot_resolve
    if label == 'first':
        module.plugdot_before_request = marker(tryfirst=True)(plugdot_before_request)
    if label == 'last':
        module.plugdot_resolve = marker(trylast=True)(plugdot_resolve)
    return module


def runtime_classes(marker):
    """Plugin objects registered at run time (as an app's own hooks are):
    a plain one and a ``tryfirst`` one, marked with *marker*."""

    class Runtime:
        def __init__(self, label):
            self.label = label

        def plugdot_before_request(self, request):
            request.calls.append(self.label)

        def plugdot_app_created(self, app):
            app.created.append(self.label)

    class RuntimeFirst(Runtime):
        @marker(tryfirst=True)
        def plugdot_before_request(self, request):
            request.calls.append(self.label)

    return Runtime, RuntimeFirst


class Probe:
    def __init__(self):
        self.calls = []
        self.created = []


def _order(pm, hook, *args):
    probe = Probe()
    for fn in pm.implementations(hook):
        fn(*[probe if a is None else a for a in args])
    return probe.calls


@pytest.fixture
def modules(monkeypatch):
    names = {}
    for label, ep in (('plain', 'p_plain'), ('first', 'p_first'), ('last', 'p_last'),
                      ('second', 'p_second')):
        pluggy_module = _plugin_module('tblp_' + label, label, hookimpl)
        table_module = _plugin_module('tblt_' + label, label, table_hookimpl)
        monkeypatch.setitem(sys.modules, pluggy_module.__name__, pluggy_module)
        monkeypatch.setitem(sys.modules, table_module.__name__, table_module)
        names[ep] = (pluggy_module.__name__, table_module.__name__)
    return names


def _both(modules, chosen):
    pm = make_plugin_manager(plugins=[])
    for ep in chosen:
        pm.register(sys.modules[modules[ep][0]], name=ep)
    specs, hooks, argnames = _hook_tables(pm, set(BUILTIN_PLUGINS) | set(chosen))
    table = TablePluginManager(specs, hooks, dict((ep, modules[ep][1]) for ep in chosen),
                               argnames=argnames)
    return pm, table


def test_table_replays_pluggy_order_and_runtime_registrations(modules):
    chosen = ['p_plain', 'p_first', 'p_last', 'p_second']
    pm, table = _both(modules, chosen)
    assert _order(table, 'plugdot_before_request', None) == \
        _order(pm, 'plugdot_before_request', None) == ['first', 'second', 'last', 'plain']
    assert _order(table, 'plugdot_after_request', 'request', None) == \
        _order(pm, 'plugdot_after_request', 'request', None)
    pluggy_kinds, table_kinds = runtime_classes(hookimpl), runtime_classes(table_hookimpl)
    for label, kind in (('rt-plain', 0), ('rt-first', 1), ('rt-later', 0)):
        pm.register(pluggy_kinds[kind](label))
        table.register(table_kinds[kind](label))
        assert _order(table, 'plugdot_before_request', None) == \
            _order(pm, 'plugdot_before_request', None)
    assert _order(table, 'plugdot_before_request', None)[:2] == ['rt-first', 'first']


def test_firstresult_historic_and_unregister(modules):
    pm, table = _both(modules, ['p_plain', 'p_last', 'p_second'])
    probe = Probe()
    assert table.hook.plugdot_resolve(request=probe) == pm.hook.plugdot_resolve(request=probe)
    app = Probe()
    table.hook.plugdot_app_created.call_historic(kwargs={'app': app})
    late = runtime_classes(table_hookimpl)[0]('late')
    table.register(late)  # registered after the historic call: replayed
    assert app.created == ['second', 'last', 'plain', 'late']
    assert table.is_registered(late)
    table.unregister(late)
    assert not table.is_registered(late)
    assert 'late' not in _order(table, 'plugdot_before_request', None)
    settings = table.hook.plugdot_settings()
    assert isinstance(settings, list) and 'max_body_size' in settings[0]


def test_unknown_hook_and_double_registration_are_refused(modules):
    _, table = _both(modules, [])

    class Typo:
        def plugdot_befor_request(self, request):
            pass

    with pytest.raises(PluginError, match='plugdot_befor_request'):
        table.register(Typo())
    obj = runtime_classes(table_hookimpl)[0]('x')
    table.register(obj)
    with pytest.raises(ValueError):
        table.register(obj)


HEADER_PLUGIN = """
def plugdot_after_request(request, response):
    response.headers['X-Table'] = 'yes'
"""


def test_app_on_a_table_serves_with_plugin_lists_and_blocks(modules, monkeypatch):
    header = types.ModuleType('tbl_header')
    exec(HEADER_PLUGIN, header.__dict__)
    monkeypatch.setitem(sys.modules, 'tbl_header', header)
    pm = make_plugin_manager(plugins=[])
    pm.register(header, name='header')
    pm.register(sys.modules[modules['p_plain'][0]], name='p_plain')
    specs, hooks, argnames = _hook_tables(pm, set(BUILTIN_PLUGINS) | {'header', 'p_plain'})
    generated = types.SimpleNamespace(
        PLUGINS=[('header', 'tbl_header'), ('p_plain', modules['p_plain'][1])],
        SPECS=specs, HOOKS=hooks, ARGNAMES=argnames)

    def app_on(table):
        monkeypatch.setattr('plugdot.plugins.make_plugin_manager', lambda plugins, block: table)
        app = App()

        @app.get('/')
        async def index(request):
            return 'hi'

        @app.after_request
        def also(request, response):
            response.headers['X-App'] = 'yes'
        assert isinstance(app.plugins, TablePluginManager)
        return TestClient(app)

    response = app_on(from_bundle(generated)).get('/')
    assert (response.status_code, response.text) == (200, 'hi')
    assert response.headers['x-table'] == response.headers['x-app'] == 'yes'
    assert app_on(from_bundle(generated)).get('/nowhere').status_code == 404
    blocked = app_on(from_bundle(generated, block_plugins=['header'])).get('/')
    assert 'x-table' not in blocked.headers and blocked.headers['x-app'] == 'yes'
    only = from_bundle(generated, plugins=['p_plain'])
    assert [n for n, _ in only.list_name_plugin() if not n.startswith('plugdot.')] == ['p_plain']
    assert 'plugdot.routing' in dict(only.list_name_plugin())
    with pytest.raises(PluginError, match='p_missing'):
        from_bundle(generated, plugins=['p_missing'])


QUIET_PLUGIN = """
def plugdot_settings():
    return {'quiet_loud': (False, 'Send X-Quiet.')}


def plugdot_inert_hooks(app):
    return None if app.config['quiet_loud'] else [plugdot_after_request]


def plugdot_after_request(request, response):
    response.headers['X-Quiet'] = 'loud'
"""


def test_an_app_on_a_table_leaves_inert_hooks_out(monkeypatch):
    quiet = types.ModuleType('tbl_quiet')
    exec(QUIET_PLUGIN, quiet.__dict__)
    monkeypatch.setitem(sys.modules, 'tbl_quiet', quiet)
    pm = make_plugin_manager(plugins=[])
    pm.register(quiet, name='quiet')
    specs, hooks, argnames = _hook_tables(pm, set(BUILTIN_PLUGINS) | {'quiet'})
    assert hooks['plugdot_inert_hooks'] == (('quiet', 1, None),)
    generated = types.SimpleNamespace(PLUGINS=[('quiet', 'tbl_quiet')], SPECS=specs,
                                      HOOKS=hooks, ARGNAMES=argnames)
    table = from_bundle(generated)
    monkeypatch.setattr('plugdot.plugins.make_plugin_manager', lambda plugins, block: table)
    app = App()

    @app.get('/')
    async def index(request):
        return 'hi'
    client = TestClient(app)
    assert 'x-quiet' not in client.get('/').headers
    assert app._plan['after'] == ()
    app.config['quiet_loud'] = True
    assert client.get('/').headers['x-quiet'] == 'loud'
