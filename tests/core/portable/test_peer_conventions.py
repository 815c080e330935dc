"""What users of Microdot and MicroPie expect in their first hour: return
forms, Content-Type, error handlers, mistakes refused at registration,
class-style typing, mounting, the TestClient as a real client."""
import asyncio

from plugdot import App, HTTPError, Response
from plugdot.testing import TestClient

from .helpers import MICROPYTHON, make_app, raises, signature


def _one_content_type(r, expected):
    assert r.headers.getlist('content-type') == [expected], r.headers.getlist('content-type')


def test_a_content_type_the_handler_gives_is_sent_once():
    app = make_app()

    @app.get('/a')
    async def a(request):
        return 'data', 200, {'Content-Type': 'video/mp4'}

    @app.get('/b')
    async def b(request):
        return 200, 'data', [('Content-Type', 'text/csv')]

    @app.get('/c')
    async def c(request):
        return Response('data', headers={'content-type': 'image/svg+xml'})

    @app.get('/d')
    async def d(request):
        r = Response({'a': 1})
        r.headers['Content-Type'] = 'application/vnd.api+json'
        return r

    client = TestClient(app)
    _one_content_type(client.get('/a'), 'video/mp4')
    _one_content_type(client.get('/b'), 'text/csv')
    _one_content_type(client.get('/c'), 'image/svg+xml')
    r = client.get('/d')
    _one_content_type(r, 'application/vnd.api+json')
    assert r.json() == {'a': 1}


def test_response_bodies_are_checked_when_built():
    assert Response({'a': [1]}).content_type == 'application/json'
    assert Response([1, 2]).body == '[1,2]'
    assert Response(None).body == b''
    err = raises(TypeError, Response, 42)
    assert 'int' in str(err)
    app = make_app()

    @app.get('/j')
    async def j(request):
        return Response({'k': 'v'}, status=201)

    r = TestClient(app).get('/j')
    assert (r.status_code, r.json()) == (201, {'k': 'v'})
    _one_content_type(r, 'application/json')


def test_every_return_form_of_both_peers():
    app = make_app()
    forms = {
        'status': 202,                                        # Microdot: empty body
        'status_headers': (202, {'X-A': 'b'}),                # Microdot
        'body_status': ('made', 201),                         # both
        'body_status_headers': ('made', 201, {'X-A': 'b'}),   # Microdot / Flask
        'body_headers': ('made', {'X-A': 'b'}),               # Microdot / Flask
        'status_body': (201, 'made'),                         # MicroPie
        'status_body_pairs': (201, 'made', [('X-A', 'b'), ('Set-Cookie', 'a=1'),
                                            ('Set-Cookie', 'b=2')]),  # MicroPie
        'status_json': (201, 'made', {'X-A': 'b'}),
        'json_status': ({'made': True}, 201),
        'no_content': (204, ''),
    }

    def handler_for(value):
        async def handler(request):
            return value
        return handler

    for name, value in forms.items():
        app.get('/' + name)(handler_for(value))
    client = TestClient(app)
    r = client.get('/status')
    assert (r.status_code, r.body) == (202, b'')
    r = client.get('/status_headers')
    assert (r.status_code, r.body, r.headers.get('x-a')) == (202, b'', 'b')
    for name in ('body_status', 'status_body'):
        r = client.get('/' + name)
        assert (r.status_code, r.text) == (201, 'made'), name
    r = client.get('/body_status_headers')
    assert (r.status_code, r.text, r.headers.get('x-a')) == (201, 'made', 'b')
    r = client.get('/body_headers')
    assert (r.status_code, r.text, r.headers.get('x-a')) == (200, 'made', 'b')
    r = client.get('/status_body_pairs')
    assert r.headers.getlist('set-cookie') == ['a=1', 'b=2'] and r.headers.get('x-a') == 'b'
    r = client.get('/json_status')
    assert (r.status_code, r.json()) == (201, {'made': True})
    r = client.get('/no_content')
    assert (r.status_code, r.body, r.headers.get('content-type')) == (204, b'', None)


def test_an_unsupported_return_form_names_the_handler():
    app = make_app()

    @app.get('/json_after_status')
    async def json_after_status(request):
        return 201, {'id': 5}  # MicroPie's JSON body; a dict after a status is headers

    @app.get('/text_json_after_status')
    async def text_json_after_status(request):
        return 201, {'status': 'created'}  # str values, but no header names

    @app.get('/four')
    async def four(request):
        return 'a', 200, {}, 'extra'

    @app.get('/not_status')
    async def not_status(request):
        return 7

    errors = []

    @app.errorhandler(Exception)
    async def log(request, error):
        errors.append(str(error))
        return 'logged', 500

    client = TestClient(app)
    for path in ('/json_after_status', '/text_json_after_status', '/four', '/not_status'):
        assert client.get(path).status_code == 500
    assert 'json_after_status' in errors[0] and "(body, 201)" in errors[0]
    assert 'text_json_after_status' in errors[1] and "'status'" in errors[1]
    assert 'four' in errors[2] and '4 items' in errors[2]
    assert 'not_status' in errors[3] and 'HTTP status' in errors[3]


def test_errorhandler_500_takes_unhandled_exceptions():
    app = make_app()

    @app.get('/boom')
    async def boom(request):
        raise KeyError('x')

    @app.get('/teapot')
    async def teapot(request):
        raise HTTPError(418)

    @app.errorhandler(500)
    async def on_500(request, error):
        return {'oops': type(error).__name__}, 500

    client = TestClient(app)
    r = client.get('/boom')
    assert (r.status_code, r.json()) == (500, {'oops': 'KeyError'})
    assert client.get('/teapot').status_code == 418  # an HTTP error keeps its status


def test_route_mistakes_are_refused_when_declared():
    app = make_app()

    def index(request):
        return 'x'
    err = raises(TypeError, app.get, index)  # @app.get without parentheses
    assert 'index' in str(err) and "@app.get('/path')" in str(err)
    err = raises(TypeError, app.route('/p', 'POST'), index)
    assert "methods=['POST']" in str(err) and 'index' in str(err)
    err = raises(TypeError, app.post, index)
    assert "@app.post('/path')" in str(err)
    err = raises(TypeError, app.errorhandler, index)  # without (404)
    assert '@app.errorhandler(404)' in str(err) and 'index' in str(err)
    err = raises(ValueError, app.get('/a/<int:id>/<int:id>'), index)
    assert 'twice' in str(err)
    err = raises(ValueError, app.get('/a/<re:(x|y):v>'), index)
    assert '(?:' in str(err)
    err = raises(ValueError, app.get('/a/<re:[a-:v>'), index)
    assert '/a/<re:[a-:v>' in str(err)


def test_a_middleware_after_runs_only_if_its_before_ran():
    app = make_app()
    calls = []

    @app.before_request
    async def token(request):
        if request.headers.get('authorization') != 'yes':
            return 'unauthorized', 401

    class Timing:
        def before_request(self, request):
            request.g.start = 1

        def after_request(self, request, response):
            calls.append(request.g.start)  # would fail had its before not run
            response.headers['X-Time'] = 'ok'

    @app.after_request
    def always(request, response):
        response.headers['X-Always'] = 'yes'

    app.add_middleware(Timing())

    @app.get('/')
    async def index(request):
        return 'ok'

    client = TestClient(app)
    r = client.get('/')
    assert (r.status_code, r.headers.get('x-time'), r.headers.get('x-always')) == \
        (401, None, 'yes')
    r = client.get('/', headers={'Authorization': 'yes'})
    assert (r.status_code, r.headers.get('x-time')) == (200, 'ok') and calls == [1]
    big = client.post('/', body=b'x' * 10, headers={'Authorization': 'yes'})
    assert big.status_code == 405


def test_a_catch_all_handler_leaves_http_errors_their_status():
    app = make_app()

    @app.get('/forbidden')
    async def forbidden(request):
        from plugdot import abort
        abort(403)

    @app.get('/boom')
    async def boom(request):
        raise RuntimeError('x')

    @app.errorhandler(Exception)
    async def anything(request, error):
        return 'caught', 500

    client = TestClient(app)
    assert client.get('/forbidden').status_code == 403
    assert client.post('/forbidden').status_code == 405
    assert (client.get('/boom').status_code, client.get('/boom').text) == (500, 'caught')


def test_before_request_can_read_the_form():
    app = make_app()
    seen = []

    @app.before_request
    async def csrf(request):
        seen.append(request.form.get('token'))
        if request.method == 'POST' and request.form.get('token') != 'ok':
            return 'bad token', 403

    @app.post('/submit')
    async def submit(request):
        return request.form['name']

    client = TestClient(app)
    assert client.post('/submit', form={'token': 'no', 'name': 'a'}).status_code == 403
    r = client.post('/submit', form={'token': 'ok', 'name': 'Ann'})
    assert (r.status_code, r.text) == (200, 'Ann')
    assert seen == ['no', 'ok']


class Typed(App):
    async def person(self, age: int, ratio: float = 1.0, subscribe: bool = False,
                     name: str = 'x'):
        return {'age': age, 'ratio': ratio, 'subscribe': subscribe, 'name': name}

    async def index(self, *parts):
        return 'index ' + '/'.join(parts)


if MICROPYTHON:
    from plugdot._compat import register_method_signature
    register_method_signature('Typed', 'person', [('self', None), ('age', None),
                                                  ('ratio', 1.0), ('subscribe', False),
                                                  ('name', 'x')])
    register_method_signature('Typed', 'index', [('self', None), ('*parts', None)])


def test_class_style_json_values_are_converted_or_refused():
    if MICROPYTHON:
        return  # annotations: recorded by `plugdot bundle` on a board (tests/mpy_server)
    client = TestClient(Typed(plugins=[]))
    r = client.post('/person', json={'age': '41', 'subscribe': 'false', 'ratio': 2})
    assert r.json() == {'age': 41, 'ratio': 2.0, 'subscribe': False, 'name': 'x'}
    assert client.post('/person', json={'age': 41, 'subscribe': True}).json()['subscribe'] is True
    for bad in ({'age': 'abc'}, {'age': 4.7}, {'age': None}, {'age': True},
                {'age': 1, 'subscribe': 'maybe'}, {'age': 1, 'name': 5}):
        r = client.post('/person', json=bad)
        assert r.status_code == 400, bad
    assert client.get('/person?age=3&subscribe=off').json()['subscribe'] is False
    assert client.get('/person?age=3&subscribe=perhaps').status_code == 400


def test_index_answers_on_its_own_name_as_in_micropie():
    client = TestClient(Typed(plugins=[]))
    assert client.get('/').text == 'index '
    assert client.get('/index').text == 'index '
    assert client.get('/index/a/b').text == 'index a/b'


def test_a_mounted_app_sees_the_served_app_in_plugins():
    outer = make_app(marker='outer')
    inner = make_app(marker='inner')

    @inner.get('/which')
    async def which(request):
        return {'config': request.app.config['marker'], 'mounted': request.mounted_app is inner}
    signature(which, 'request')
    outer.mount(inner, '/sub')
    assert TestClient(outer).get('/sub/which').json() == {'config': 'outer', 'mounted': True}


def test_testclient_cookie_jar_behaves_like_a_browser():
    app = make_app()

    @app.get('/set')
    async def set_(request):
        r = Response('ok')
        r.set_cookie('root', '1')
        r.set_cookie('admin', '2', path='/admin')
        r.set_cookie('gone', '3', max_age=0)
        r.set_cookie('other', '4', domain='example.org')
        return r

    @app.get('/echo')
    async def echo(request):
        return dict(request.cookies)

    @app.get('/admin/echo')
    async def admin_echo(request):
        return dict(request.cookies)

    client = TestClient(app)
    client.get('/set')
    assert client.get('/echo').json() == {'root': '1'}
    assert client.get('/admin/echo').json() == {'root': '1', 'admin': '2'}
    assert client.get('/administrator').status_code == 404
    # An explicit Cookie header adds to the jar; its own value wins.
    got = client.get('/echo', headers={'Cookie': 'extra=5; root=9'}).json()
    assert got == {'root': '9', 'extra': '5'}


class _Ticks:
    """Three chunks with a pause before each (no async generators on MicroPython)."""

    def __init__(self):
        self.n = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == 3:
            raise StopAsyncIteration
        await asyncio.sleep(0.01)
        self.n += 1
        return 't%d ' % (self.n - 1)


def test_testclient_does_not_disconnect_while_the_app_runs():
    app = make_app()

    @app.get('/wait')
    async def wait(request):
        return _Ticks()

    client = TestClient(app)
    assert client.get('/wait').text == 't0 t1 t2 '
    # ...unless asked to hang up, as a browser leaving a live stream does
    assert client.get('/wait', disconnect_after=1).text == 't0 '
