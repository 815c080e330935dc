"""Each hook exercised through a plugin object, as a third party writes it."""
import importlib

import pytest

from plugdot import App, HTTPError, Response, hookimpl
from plugdot.testing import TestClient


class Lifespan:
    def __init__(self):
        self.events = []

    async def plugdot_startup(self, app):
        self.events.append(('startup', app))

    def plugdot_shutdown(self, app):
        self.events.append(('shutdown', app))


def test_plugdot_startup_and_plugdot_shutdown():
    plugin = Lifespan()
    app = App(plugins=[plugin])
    with TestClient(app):
        assert plugin.events == [('startup', app)]
    assert plugin.events == [('startup', app), ('shutdown', app)]


class Stopping:
    def __init__(self):
        self.apps = []

    async def plugdot_stopping(self, app):
        self.apps.append(app)


def test_plugdot_stopping_reaches_the_app_and_its_mounted_apps():
    import asyncio
    plugin = Stopping()
    app, sub = App(plugins=[plugin]), App(plugins=[plugin])
    app.mount(sub, '/sub')
    asyncio.run(app.stopping())
    assert plugin.apps == [app, sub]


class CSVBody:
    @hookimpl(tryfirst=True)
    async def plugdot_parse_body(self, request, content_type):
        if content_type != 'text/csv':
            return None
        body = await request.load_body()
        rows = [line.split(',') for line in body.decode().splitlines()]
        return {'json': rows}


def test_plugdot_parse_body_plugin_parses_its_type():
    app = App(plugins=[CSVBody()])

    @app.post('/rows')
    async def rows(request):
        return {'rows': request.json, 'raw': len(request.body)}

    c = TestClient(app)
    r = c.post('/rows', body='a,b\n1,2', headers={'Content-Type': 'text/csv'})
    assert r.json() == {'rows': [['a', 'b'], ['1', '2']], 'raw': 7}
    assert c.post('/rows', json=[1]).json() == {'rows': [1], 'raw': 3}


class Auth:
    async def plugdot_before_request(self, request):
        if request.headers.get('x-key') != 'k':
            return {'error': 'no key'}, 401


def test_plugdot_before_request_plugin_answers():
    app = App(plugins=[Auth()])

    @app.get('/')
    async def index(request):
        return 'in'

    c = TestClient(app)
    assert c.get('/').status_code == 401
    assert c.get('/', headers={'X-Key': 'k'}).text == 'in'
    assert c.get('/nowhere').status_code == 401  # runs before the 404


class Teapot:
    def plugdot_handle_error(self, request, error):
        if isinstance(error, HTTPError) and error.status == 404:
            return Response('short and stout', 418)


def test_plugdot_handle_error_plugin():
    app = App(plugins=[Teapot()])
    r = TestClient(app).get('/missing')
    assert (r.status_code, r.text) == (418, 'short and stout')


class Security:
    def plugdot_after_request(self, request, response):
        response.headers['X-Frame-Options'] = 'DENY'


class Doubler:
    @hookimpl(tryfirst=True)
    def plugdot_make_response(self, request, value):
        if isinstance(value, float):
            return Response(repr(value * 2), content_type='text/plain')


def test_plugdot_after_request_and_plugdot_make_response_plugins():
    app = App(plugins=[Security(), Doubler()])

    @app.get('/f')
    async def f(request):
        return 1.5

    r = TestClient(app).get('/f')
    assert (r.text, r.headers['x-frame-options']) == ('3.0', 'DENY')


def test_plugdot_bundle_modules_names_importable_modules():
    app = App(plugins=['request_id'])
    declared = [m for mods in app.plugins.hook.plugdot_bundle_modules() for m in mods]
    assert declared == ['plugdot_request_id']
    for name in declared:
        importlib.import_module(name)


class LazyUser:
    def __init__(self):
        self.calls = 0

    def plugdot_request_attribute(self, request, name):
        if name != 'user':
            return None
        self.calls += 1
        request.after_this_request(self.write_back)
        return {'name': request.headers.get('x-user', 'anonymous')}

    def write_back(self, request, response):
        response.headers['X-User-Seen'] = request.user['name']


def test_plugdot_request_attribute_is_lazy_and_cached():
    plugin = LazyUser()
    app = App(plugins=[plugin])

    @app.get('/who')
    async def who(request):
        assert request.user is request.user  # computed once, then stored
        return request.user['name']

    @app.get('/other')
    async def other(request):
        return 'no user needed'

    @app.get('/missing')
    async def missing(request):
        return str(hasattr(request, 'nonexistent'))

    c = TestClient(app)
    r = c.get('/who', headers={'X-User': 'ann'})
    assert (r.text, r.headers['x-user-seen'], plugin.calls) == ('ann', 'ann', 1)
    r = c.get('/other')
    assert 'x-user-seen' not in r.headers and plugin.calls == 1
    assert c.get('/missing').text == 'False'


def test_request_attributes_are_descriptors_on_cpython_unless_a_plugin_declares_no_names():
    # A class with __getattr__ takes CPython's slow path on every attribute
    # read: Request has none while every plugdot_request_attribute
    # implementation declares its names (plugdot-sessions and
    # plugdot-uploads do); one that does not gives it back. In a fresh
    # interpreter: the second half changes the class for the process.
    import subprocess
    import sys
    import textwrap
    pytest.importorskip('plugdot_sessions')
    code = textwrap.dedent('''
        import plugdot_sessions
        from plugdot import App, Request
        from plugdot.testing import TestClient

        class Declared:
            def plugdot_request_attribute(self, request, name):
                return {'id': 7} if name == 'user' else None
            plugdot_request_attribute.names = ('user', 'stream')

        app = App(plugins=[Declared(), plugdot_sessions], config={'secret_key': 'k' * 32})

        @app.get('/')
        def index(request):
            request.session['n'] = 1
            return '%s %s %s' % (request.user['id'], request.user is request.user,
                                 hasattr(request, 'nothing'))

        c = TestClient(app)
        assert c.get('/').text == '7 True False'
        assert '__getattr__' not in Request.__dict__
        assert Request.stream.__name__ == 'stream'  # a declared name never hides a method

        class Undeclared:
            def plugdot_request_attribute(self, request, name):
                return 'any' if name == 'whatever' else None

        other = App(plugins=[Undeclared()])
        other.get('/')(lambda request: request.whatever)
        assert TestClient(other).get('/').text == 'any'
        assert '__getattr__' in Request.__dict__
        assert c.get('/').text == '7 True False'
        print('ok')
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == 'ok', out.stderr
