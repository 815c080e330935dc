"""Decorator routes, converters, 404/405, HEAD/OPTIONS, mounts."""
from plugdot import abort
from plugdot.routing import Router, compile_pattern, DEFAULT_CONVERTERS
from plugdot.testing import TestClient

from .helpers import make_app, raises


def test_static_and_dynamic_routes():
    app = make_app()

    @app.get('/')
    async def index(request):
        return 'home'

    @app.get('/users/<int:id>')
    async def user(request, id):
        return {'id': id, 'type': type(id).__name__}

    @app.get('/files/<path:p>')
    async def files(request, p):
        return p

    @app.get('/price/<float:x>')
    async def price(request, x):
        return {'x': x}

    client = TestClient(app)
    assert client.get('/').text == 'home'
    assert client.get('/users/42').json() == {'id': 42, 'type': 'int'}
    assert client.get('/users/-3').json()['id'] == -3
    assert client.get('/users/abc').status_code == 404
    assert client.get('/files/a/b/c.txt').text == 'a/b/c.txt'
    assert client.get('/price/2.5').json() == {'x': 2.5}


def test_path_arguments_are_url_decoded():
    app = make_app()

    @app.get('/hello/<name>')
    async def hello(request, name):
        return name

    assert TestClient(app).get('/hello/J%C3%BCrgen%20M').text == 'J\u00fcrgen M'


def test_regex_and_custom_converters():
    app = make_app()
    app.add_converter('hex', '[0-9a-f]+', lambda s: int(s, 16))

    @app.get('/color/<hex:value>')
    async def color(request, value):
        return {'value': value}

    @app.get('/code/<re:[A-Z][A-Z][0-9]+:code>')
    async def code(request, code):
        return code

    client = TestClient(app)
    assert client.get('/color/ff').json() == {'value': 255}
    assert client.get('/color/zz').status_code == 404
    assert client.get('/code/AB12').text == 'AB12'
    assert client.get('/code/ab12').status_code == 404


def test_405_lists_allowed_methods_and_options_answers():
    app = make_app()

    @app.route('/item', methods=['GET', 'PUT'])
    async def item(request):
        return request.method

    client = TestClient(app)
    r = client.post('/item')
    assert r.status_code == 405
    assert r.headers['allow'] == 'GET, HEAD, OPTIONS, PUT'
    assert r.text == 'Method Not Allowed'
    r = client.options('/item')
    assert r.status_code == 204 and r.headers['allow'] == 'GET, HEAD, OPTIONS, PUT'
    assert client.put('/item').text == 'PUT'


def test_head_is_get_without_body():
    app = make_app()

    @app.get('/doc')
    async def doc(request):
        return 'x' * 100

    r = TestClient(app).head('/doc')
    assert r.status_code == 200 and r.body == b'' and r.headers['content-length'] == '100'


def test_unknown_path_is_404():
    app = make_app()
    r = TestClient(app).get('/missing')
    assert r.status_code == 404 and r.text == 'Not Found'


def test_same_pattern_different_methods_and_static_beats_dynamic():
    app = make_app()

    @app.get('/users/me')
    async def me(request):
        return 'me'

    @app.get('/users/<id>')
    async def user(request, id):
        return 'user ' + id

    @app.delete('/users/<id>')
    async def remove(request, id):
        return 'removed ' + id

    client = TestClient(app)
    assert client.get('/users/me').text == 'me'
    assert client.get('/users/7').text == 'user 7'
    assert client.delete('/users/7').text == 'removed 7'
    assert client.delete('/users/me').text == 'removed me'


def test_two_handlers_for_one_method_and_path_are_refused_naming_both():
    app = make_app()

    @app.get('/x')
    async def first(request):
        return 'first'

    async def second(request):
        return 'second'

    message = str(raises(ValueError, app.get('/x'), second))
    assert 'GET /x' in message and 'first' in message and 'second' in message, message
    assert 'remove one' in message
    app.post('/x')(second)      # another method of the same path is another route
    app.get('/x')(first)        # the same function again changes nothing

    @app.route('/u/<int:id>', methods=['GET', 'PUT'])
    async def user(request, id):
        return 'user'

    async def replace(request, id):
        return 'replace'
    message = str(raises(ValueError, app.put('/u/<int:id>'), replace))
    assert 'PUT /u/<int:id>' in message and 'user' in message and 'replace' in message
    client = TestClient(app)
    assert client.get('/x').text == 'first' and client.post('/x').text == 'second'
    assert client.put('/u/3').text == 'user'


def test_unknown_methods_are_refused_naming_the_handler():
    app = make_app()

    async def z(request):
        return 'z'
    message = str(raises(ValueError, app.route('/z', methods=['GETT']), z))
    assert "'GETT'" in message and 'handler z' in message and 'write one of GET' in message
    assert "'PST'" in str(raises(ValueError, app.route('/z', methods=['get', 'PST']), z))
    assert TestClient(app).get('/z').status_code == 404   # nothing half-added
    app.route('/z', methods=['get', 'Patch'])(z)           # any case of a known method
    assert TestClient(app).patch('/z').text == 'z'


def test_bad_patterns_are_rejected():
    router = Router()
    raises(ValueError, router.add, 'no-slash', lambda r: 1, ['GET'])
    raises(ValueError, compile_pattern, '/x/<foo:bar>', DEFAULT_CONVERTERS)
    raises(ValueError, compile_pattern, '/x/<int:bar', DEFAULT_CONVERTERS)
    raises(ValueError, router.add_converter, 'bad', '(a|b)')


def test_mount_applies_sub_app_hooks_only_to_its_routes():
    api = make_app()
    calls = []

    @api.before_request
    def only_api(request):
        calls.append('api:' + request.route_path)

    @api.get('/items/<int:id>')
    async def item(request, id):
        return {'id': id, 'path': request.path, 'route_path': request.route_path}

    @api.errorhandler(404)
    async def api_404(request, error):
        return {'error': 'not found'}, 404

    app = make_app()

    @app.before_request
    def outer(request):
        calls.append('app:' + request.path)

    @app.get('/')
    async def index(request):
        return 'root'

    app.mount(api, '/api')
    client = TestClient(app)
    assert client.get('/api/items/3').json() == {'id': 3, 'path': '/api/items/3',
                                                  'route_path': '/items/3'}
    assert calls == ['app:/api/items/3', 'api:/items/3']
    del calls[:]
    assert client.get('/').text == 'root'
    assert calls == ['app:/']
    r = client.get('/api/nothing')
    assert r.status_code == 404 and r.json() == {'error': 'not found'}
    assert client.get('/nothing').text == 'Not Found'
    assert ('GET',) in [r[0] for r in app.routes()]
    assert '/api/items/<int:id>' in [r[1] for r in app.routes()]


def test_mounted_unhandled_error_reaches_parent_handler():
    api = make_app()

    @api.get('/boom')
    async def boom(request):
        abort(418, 'teapot')

    app = make_app()
    app.mount(api, '/api')

    @app.errorhandler(418)
    async def teapot(request, error):
        return 'parent handled ' + error.message, 418

    r = TestClient(app).get('/api/boom')
    assert r.status_code == 418 and r.text == 'parent handled teapot'
