"""plugdot-cors through the in-process TestClient (CPython and MicroPython):
the preflight and header corpus, error responses, overrides, config errors."""
import asyncio

from plugdot import App, abort, methods
from plugdot.testing import TestClient
from plugdot_cors import cors
from plugdot_cors.policy import CORSConfigError, add_vary
from plugdot import Headers

SITE = 'https://app.example.com'


def make_app(**config):
    settings = {'cors_allowed_origins': [SITE, 'https://*.example.org']}
    settings.update(config)
    app = App(config=settings, plugins=['plugdot_cors'])

    @app.get('/data')
    async def data(request):
        return {'ok': True}

    @app.route('/data', methods=['PUT'])
    async def put_data(request):
        return {'put': True}

    @app.get('/boom')
    async def boom(request):
        raise RuntimeError('bug')

    @app.get('/teapot')
    async def teapot(request):
        abort(418, 'short and stout')

    @app.get('/varies')
    async def varies(request):
        return 'x', 200, {'Vary': 'Accept-Encoding'}

    @app.get('/open')
    @cors(allowed_origins='*')
    async def open_data(request):
        return 'open'

    @app.get('/off')
    @cors(False)
    async def off(request):
        return 'off'

    @app.post('/partner')
    @cors(allowed_origins=['https://partner.example.net'], allow_credentials=True)
    async def partner(request):
        return 'partner'
    return app


def preflight(client, path, origin=SITE, method='PUT', headers=None):
    h = {'Origin': origin, 'Access-Control-Request-Method': method}
    if headers is not None:
        h['Access-Control-Request-Headers'] = headers
    return client.options(path, headers=h)


def raises(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except CORSConfigError as exc:
        return str(exc)
    raise AssertionError('CORSConfigError was not raised')


def test_simple_request_from_an_allowed_origin():
    r = TestClient(make_app()).get('/data', headers={'Origin': SITE})
    assert r.status_code == 200
    assert r.headers['access-control-allow-origin'] == SITE
    assert r.headers['vary'] == 'Origin'
    assert 'access-control-allow-credentials' not in r.headers


def test_disallowed_origin_gets_no_grant_and_is_never_reflected():
    client = TestClient(make_app())
    for origin in ('https://evil.example', 'https://app.example.com.evil.example',
                   'https://evilapp.example.com', 'http://app.example.com', 'null',
                   'https://a.b.example.org', 'https://example.org', ''):
        r = client.get('/data', headers={'Origin': origin})
        assert r.status_code == 200
        assert 'access-control-allow-origin' not in r.headers, origin
        assert r.headers['vary'] == 'Origin'


def test_glob_star_matches_one_label_only():
    client = TestClient(make_app())
    r = client.get('/data', headers={'Origin': 'https://shop.example.org'})
    assert r.headers['access-control-allow-origin'] == 'https://shop.example.org'
    r = client.get('/data', headers={'Origin': 'https://x.shop.example.org'})
    assert 'access-control-allow-origin' not in r.headers


def test_regex_must_match_the_whole_origin():
    app = make_app(cors_allowed_origins=[],
                   cors_allowed_origin_regex=r'https://[a-z]+\.preview\.example\.com')
    client = TestClient(app)
    ok = 'https://pr.preview.example.com'
    assert client.get('/data', headers={'Origin': ok}).headers[
        'access-control-allow-origin'] == ok
    for origin in ('https://pr.preview.example.com.evil.io', 'xhttps://pr.preview.example.com',
                   'https://pr.preview.example.com:8443'):
        assert 'access-control-allow-origin' not in client.get(
            '/data', headers={'Origin': origin}).headers, origin


def test_null_origin_only_when_listed():
    client = TestClient(make_app(cors_allowed_origins=['*']))
    assert 'access-control-allow-origin' not in client.get(
        '/data', headers={'Origin': 'null'}).headers
    client = TestClient(make_app(cors_allowed_origins=['null']))
    assert client.get('/data', headers={'Origin': 'null'}).headers[
        'access-control-allow-origin'] == 'null'


def test_star_without_credentials_sends_a_literal_star_and_no_vary():
    r = TestClient(make_app(cors_allowed_origins='*')).get(
        '/data', headers={'Origin': 'https://any.example'})
    assert r.headers['access-control-allow-origin'] == '*'
    assert 'vary' not in r.headers


def test_credentials_and_exposed_headers():
    app = make_app(cors_allow_credentials=True, cors_expose_headers=['X-Total'])
    r = TestClient(app).get('/data', headers={'Origin': SITE})
    assert r.headers['access-control-allow-origin'] == SITE
    assert r.headers['access-control-allow-credentials'] == 'true'
    assert r.headers['access-control-expose-headers'] == 'X-Total'


def test_preflight_is_answered_before_the_handler():
    calls = []
    app = make_app(cors_allowed_headers=['X-Token'], cors_max_age=120)

    @app.route('/opt', methods=['OPTIONS', 'PUT'])
    async def opt(request):
        calls.append(request.method)
        return 'handler'
    r = preflight(TestClient(app), '/opt', headers='x-token, content-type')
    assert r.status_code == 204 and calls == []
    assert r.headers['access-control-allow-origin'] == SITE
    assert 'PUT' in r.headers['access-control-allow-methods']
    assert r.headers['access-control-allow-headers'] == 'x-token, content-type'
    assert r.headers['access-control-max-age'] == '120'
    assert r.headers['vary'] == ('Origin, Access-Control-Request-Method, '
                                 'Access-Control-Request-Headers')


def test_preflight_for_an_unknown_path_is_answered_too():
    assert preflight(TestClient(make_app()), '/nowhere').status_code == 204


def test_refused_preflights_are_400s_that_say_why():
    client = TestClient(make_app(cors_allowed_methods=['GET', 'PUT']))
    r = preflight(client, '/data', origin='https://evil.example')
    assert r.status_code == 400 and 'origin not allowed' in r.text
    assert 'access-control-allow-origin' not in r.headers
    r = preflight(client, '/data', method='DELETE')
    assert r.status_code == 400 and 'method DELETE not allowed' in r.text
    r = preflight(client, '/data', headers='x-secret')
    assert r.status_code == 400 and 'header x-secret not allowed' in r.text


def test_malformed_preflights_are_400_never_500():
    client = TestClient(make_app(cors_allowed_headers='*'))
    for method, headers in (('', None), ('PU T', None), ('GET\t', 'a b'), ('GET', 'x,(y)'),
                            ('G\u00e9T', None), ('GET', ',,,')):
        r = preflight(client, '/data', method=method, headers=headers)
        assert r.status_code in (204, 400), (method, headers, r.status_code)
    r = preflight(client, '/data', method='PU T')
    assert r.status_code == 400 and 'malformed' in r.text
    r = preflight(client, '/data', origin='not an origin')
    assert r.status_code == 400


def test_star_methods_and_headers_mirror_the_request():
    client = TestClient(make_app(cors_allowed_methods='*', cors_allowed_headers=['*']))
    r = preflight(client, '/data', method='PURGE', headers='X-A, x-b')
    assert r.status_code == 204
    assert r.headers['access-control-allow-methods'] == 'PURGE'
    assert r.headers['access-control-allow-headers'] == 'x-a, x-b'


def test_an_options_request_without_cors_headers_is_routed_normally():
    r = TestClient(make_app()).options('/data', headers={'Origin': SITE})
    assert r.status_code == 204 and 'GET' in r.headers['allow']
    assert r.headers['access-control-allow-origin'] == SITE


def test_error_responses_carry_cors_headers():
    client = TestClient(make_app())
    for path, method, status in (('/missing', 'GET', 404), ('/data', 'DELETE', 405),
                                 ('/boom', 'GET', 500), ('/teapot', 'GET', 418)):
        r = client.request(method, path, headers={'Origin': SITE})
        assert r.status_code == status, path
        assert r.headers['access-control-allow-origin'] == SITE, path
        assert 'Origin' in r.headers['vary'], path


def test_vary_is_merged():
    r = TestClient(make_app()).get('/varies', headers={'Origin': SITE})
    assert r.headers['vary'] == 'Accept-Encoding, Origin'
    h = Headers([('Vary', 'origin'), ('Vary', 'Cookie')])
    add_vary(h, 'Origin', 'Accept')
    assert h.getlist('Vary') == ['origin, Cookie, Accept']
    h = Headers({'Vary': '*'})
    add_vary(h, 'Origin')
    assert h['Vary'] == '*'


def test_per_route_overrides_in_decorator_style():
    client = TestClient(make_app())
    r = client.get('/open', headers={'Origin': 'https://any.example'})
    assert r.headers['access-control-allow-origin'] == '*'
    r = client.get('/off', headers={'Origin': SITE})
    assert 'access-control-allow-origin' not in r.headers
    r = preflight(client, '/off', method='GET')  # a preflight grants nothing there either
    assert 'access-control-allow-origin' not in r.headers
    assert 'access-control-allow-credentials' not in r.headers
    r = preflight(client, '/partner', origin='https://partner.example.net', method='POST',
                  headers='content-type')
    assert r.status_code == 204
    assert r.headers['access-control-allow-credentials'] == 'true'
    r = client.post('/partner', headers={'Origin': SITE})
    assert 'access-control-allow-origin' not in r.headers


class Shop(App):
    """A class-style app with one route opened to a partner."""

    async def index(self):
        return 'home'

    @methods('POST')
    @cors(allowed_origins=['https://partner.example.net'])
    async def order(self):
        return 'ordered'


def test_per_route_overrides_on_class_methods():
    client = TestClient(Shop(config={'cors_allowed_origins': [SITE]}, plugins=['plugdot_cors']))
    r = client.post('/order', headers={'Origin': 'https://partner.example.net'})
    assert r.headers['access-control-allow-origin'] == 'https://partner.example.net'
    r = client.get('/', headers={'Origin': 'https://partner.example.net'})
    assert 'access-control-allow-origin' not in r.headers
    r = preflight(client, '/order', origin='https://partner.example.net', method='POST',
                  headers='content-type')
    assert r.status_code == 204


def test_sse_handshake_from_a_foreign_origin_is_refused():
    client = TestClient(make_app())
    sse = {'Accept': 'text/event-stream'}
    sse['Origin'] = 'https://evil.example'
    assert client.get('/data', headers=sse).status_code == 403
    sse['Origin'] = SITE
    assert client.get('/data', headers=sse).status_code == 200
    sse['Origin'] = 'http://testserver'  # the app's own origin
    assert client.get('/data', headers=sse).status_code == 200


def test_no_settings_means_no_headers():
    app = App(plugins=['plugdot_cors'])

    @app.get('/')
    async def index(request):
        return 'x'
    r = TestClient(app).get('/', headers={'Origin': SITE})
    assert 'access-control-allow-origin' not in r.headers and 'vary' not in r.headers


def test_config_errors_are_raised_when_the_app_is_built():
    message = raises(make_app, cors_allowed_origins='*', cors_allow_credentials=True)
    assert "'*' cannot be combined with credentials" in message
    message = raises(make_app, cors_allowed_origins=['https://example.com/'])
    assert "'https://example.com'" in message
    message = raises(make_app, cors_allowed_origins=['example.com'])
    assert 'scheme://host' in message
    assert 'does not compile' in raises(make_app, cors_allowed_origin_regex='https://(')
    assert 'cors_max_age' in raises(make_app, cors_max_age=-1)
    assert 'not an HTTP method' in raises(make_app, cors_allowed_methods=['GET POST'])
    assert 'not a header name' in raises(make_app, cors_allowed_headers=['X:Y'])
    assert '@cors on bad' in raises(cors(allowed_origins='*', allow_credentials=True), bad)


def bad(request):
    return None


def test_route_override_conflicting_with_settings_fails_at_startup():
    app = App(config={'cors_allowed_origins': [SITE], 'cors_allow_credentials': True},
              plugins=['plugdot_cors'])

    @app.get('/wild')
    @cors(allowed_origins='*')
    async def wild(request):
        return 'x'
    try:
        asyncio.run(app.startup())
    except CORSConfigError as exc:
        assert 'wild' in str(exc)
    else:
        raise AssertionError('startup did not fail')


def test_websocket_handshake_from_a_foreign_origin_is_refused():
    from plugdot.testing import WebSocketClosed
    from plugdot_websocket import with_websocket
    app = App(config={'cors_allowed_origins': [SITE]}, plugins=['plugdot_cors', 'plugdot_websocket'])

    @app.route('/ws')
    @with_websocket
    async def ws_hello(request, ws):
        await ws.send('hi')
    client = TestClient(app)
    for origin in (SITE, 'http://testserver'):  # allowed, and the app's own page
        with client.websocket_connect('/ws', headers={'Origin': origin}) as ws:
            assert ws.receive() == 'hi'
    try:
        with client.websocket_connect('/ws', headers={'Origin': 'https://evil.example'}):
            pass
    except WebSocketClosed:
        return
    raise AssertionError('a foreign origin must be refused')


def test_without_cors_its_hooks_leave_the_plan_until_cors_is_asked_for():
    # Only while no @cors route exists in the program (other tests made some).
    import plugdot_cors
    saved = dict(plugdot_cors._OVERRIDES)
    plugdot_cors._OVERRIDES.clear()
    try:
        app = App(plugins=['plugdot_cors'])

        @app.get('/')
        async def index(request):
            return 'x'
        client = TestClient(app)
        hooks = (plugdot_cors.plugdot_before_request, plugdot_cors.plugdot_after_request)

        def in_plan():
            plan = app._plan
            return [fn in plan['before'] + plan['after'] for fn in hooks]
        r = client.get('/', headers={'Origin': SITE})
        assert 'access-control-allow-origin' not in r.headers and in_plan() == [False, False]
        # a setting changed while serving
        app.config['cors_allowed_origins'] = [SITE]
        r = client.get('/', headers={'Origin': SITE})
        assert r.headers['access-control-allow-origin'] == SITE and in_plan() == [True, True]
        app.config['cors_allowed_origins'] = []
        r = client.get('/', headers={'Origin': SITE})
        assert 'access-control-allow-origin' not in r.headers and in_plan() == [False, False]

        # a route marked @cors after the plan was compiled without CORS
        @app.get('/late')
        async def late(request):
            return 'late'
        assert 'access-control-allow-origin' not in client.get('/late', headers={'Origin': SITE}).headers
        cors(allowed_origins=[SITE])(late)
        r = client.get('/late', headers={'Origin': SITE})
        assert (r.text, r.headers['access-control-allow-origin']) == ('late', SITE)
        assert 'access-control-allow-origin' not in client.get('/', headers={'Origin': SITE}).headers
        r = preflight(client, '/late', method='GET')
        assert (r.status_code, r.headers['access-control-allow-origin']) == (204, SITE)
    finally:
        plugdot_cors._OVERRIDES.clear()
        plugdot_cors._OVERRIDES.update(saved)


def test_a_preflight_grants_the_configured_methods_and_the_route_answers_405():
    # As Starlette's CORSMiddleware, Flask-CORS and Microdot's CORS (with its
    # methods set): the preflight lists the policy's methods, not the route's
    # (trial 14 asked); the real request then gets the route's 405, readable by
    # the page since it carries the CORS headers.
    client = TestClient(make_app())
    r = preflight(client, '/boom', method='GET')
    assert r.headers['access-control-allow-methods'] == 'GET, HEAD, POST, PUT, PATCH, DELETE'
    assert preflight(client, '/boom', method='DELETE').status_code == 204
    r = client.delete('/boom', headers={'Origin': SITE})
    assert r.status_code == 405 and r.headers['allow'] == 'GET, HEAD, OPTIONS'
    assert r.headers['access-control-allow-origin'] == SITE
    # narrowed for one route with @cors(allowed_methods=...)
    app = make_app()

    @app.get('/only-get')
    @cors(allowed_methods=['GET'])
    async def only_get(request):
        return 'x'
    r = preflight(TestClient(app), '/only-get', method='GET')
    assert r.headers['access-control-allow-methods'] == 'GET'
    r = preflight(TestClient(app), '/only-get', method='DELETE')
    assert r.status_code == 400 and 'method DELETE not allowed (allowed: GET)' in r.text
