"""before/after request, error handlers, middleware, lifespan, app plugins."""
from plugdot import abort, Response, hookimpl
from plugdot.testing import TestClient

from .helpers import make_app


def test_before_request_can_answer_and_runs_in_order():
    app = make_app()
    order = []

    @app.before_request
    def first(request):
        order.append('first')

    @app.before_request
    async def auth(request):
        order.append('auth')
        if request.headers.get('authorization') != 'secret':
            return 'denied', 401

    @app.get('/')
    async def index(request):
        order.append('handler')
        return 'ok'

    c = TestClient(app)
    r = c.get('/')
    assert (r.status_code, r.text) == (401, 'denied') and order == ['first', 'auth']
    del order[:]
    assert c.get('/', headers={'Authorization': 'secret'}).text == 'ok'
    assert order == ['first', 'auth', 'handler']


def test_before_request_runs_for_unmatched_routes():
    app = make_app()

    @app.before_request
    def cors_preflight(request):
        if request.method == 'OPTIONS':
            return Response(b'', 204, {'Access-Control-Allow-Origin': 'https://a.example'})

    r = TestClient(app).options('/anything')
    assert r.status_code == 204 and r.headers['access-control-allow-origin'] == 'https://a.example'


def test_after_request_reverse_order_and_replacement():
    app = make_app()
    order = []

    @app.after_request
    def outer(request, response):
        order.append('outer')
        response.headers['X-Outer'] = '1'

    @app.after_request
    async def inner(request, response):
        order.append('inner')
        if request.path == '/replace':
            return 'replaced', 202

    @app.get('/')
    async def index(request):
        return 'ok'

    @app.get('/replace')
    async def rep(request):
        return 'original'

    c = TestClient(app)
    r = c.get('/')
    assert order == ['inner', 'outer'] and r.headers['x-outer'] == '1'
    r = c.get('/replace')
    assert (r.status_code, r.text, r.headers['x-outer']) == (202, 'replaced', '1')
    assert c.get('/missing').headers['x-outer'] == '1'  # error responses too


def test_error_handlers_by_status_and_exception_class():
    app = make_app()

    class AppError(Exception):
        pass

    class NotReady(AppError):
        pass

    @app.errorhandler(404)
    async def nf(request, error):
        return 'custom 404', 404

    @app.errorhandler(AppError)
    def app_error(request, error):
        return {'error': type(error).__name__}, 409

    @app.errorhandler(ValueError)
    def value_error(request, error):
        return 'value', 422

    @app.get('/ready')
    async def ready(request):
        raise NotReady()

    @app.get('/value')
    async def value(request):
        raise ValueError('x')

    @app.get('/other')
    async def other(request):
        raise KeyError('x')

    c = TestClient(app)
    assert c.get('/nothing').text == 'custom 404'
    r = c.get('/ready')
    assert (r.status_code, r.json()) == (409, {'error': 'NotReady'})
    assert c.get('/value').status_code == 422
    assert c.get('/other').status_code == 500


def test_failing_error_handler_gives_plain_500():
    app = make_app()

    @app.errorhandler(404)
    async def broken(request, error):
        raise RuntimeError('handler bug')

    r = TestClient(app).get('/missing')
    assert r.status_code == 500 and 'handler bug' not in r.text


def test_middleware_objects():
    app = make_app()
    log = []

    class Timing:
        def before_request(self, request):
            log.append('timing-before')

        async def after_request(self, request, response):
            log.append('timing-after')
            response.headers['X-Timing'] = '1'

    class Block:
        async def before_request(self, request):
            log.append('block-before')
            if request.path == '/blocked':
                return 'blocked', 403

        def after_request(self, request, response):
            log.append('block-after')

    app.add_middleware(Timing())
    app.add_middleware(Block())

    @app.get('/')
    async def index(request):
        return 'ok'

    c = TestClient(app)
    r = c.get('/')
    assert r.headers['x-timing'] == '1'
    assert log == ['timing-before', 'block-before', 'block-after', 'timing-after']
    assert c.get('/blocked').status_code == 403
    try:
        app.add_middleware(object())
    except TypeError:
        pass
    else:
        raise AssertionError('a middleware without methods must be refused')


def test_lifespan_startup_and_shutdown():
    app = make_app()
    events = []

    @app.on_startup
    async def start():
        events.append('start')

    @app.on_shutdown
    def stop():
        events.append('stop')

    @app.get('/')
    async def index(request):
        return ','.join(events)

    with TestClient(app) as c:
        assert c.get('/').text == 'start'
    assert events == ['start', 'stop']


def test_failed_startup_is_reported():
    app = make_app()

    @app.on_startup
    def start():
        raise RuntimeError('no database')

    try:
        with TestClient(app):
            pass
    except RuntimeError as exc:
        assert 'no database' in str(exc)
    else:
        raise AssertionError('startup failure must be reported')


class HeaderPlugin:
    """A plugin object implementing hooks, registered with one app."""

    def plugdot_after_request(self, request, response):
        response.headers['X-Plugin'] = 'yes'

    @hookimpl(tryfirst=True)
    def plugdot_make_response(self, request, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return Response(str(value * 2), 200)


def test_app_registered_plugin_and_make_response_hook():
    app = make_app()

    @app.get('/n')
    async def n(request):
        return 21

    c = TestClient(app)
    assert c.get('/n').status_code == 500
    app.register_plugin(HeaderPlugin())
    r = c.get('/n')
    assert (r.text, r.headers['x-plugin']) == ('42', 'yes')


class Resolver:
    """A plugin that answers one path before the router."""

    @hookimpl(tryfirst=True)
    def plugdot_resolve(self, request):
        if request.path == '/magic':
            from plugdot.routing import Route

            async def magic(request):
                return 'magic'
            return Route(magic, ('GET',), '/magic'), {}


def test_resolve_hook_takes_precedence():
    app = make_app()
    app.register_plugin(Resolver())
    c = TestClient(app)
    assert c.get('/magic').text == 'magic'
    assert c.get('/other').status_code == 404


def test_unregistering_a_plugin_recompiles_the_plan():
    app = make_app()
    plugin = HeaderPlugin()
    app.register_plugin(plugin)

    @app.get('/')
    async def index(request):
        return 'x'

    c = TestClient(app)
    assert 'x-plugin' in c.get('/').headers
    app.plugins.unregister(plugin)
    assert 'x-plugin' not in c.get('/').headers


def test_config_change_applies_to_limits():
    app = make_app()

    @app.post('/')
    async def index(request):
        return 'ok'

    c = TestClient(app)
    assert c.post('/', body=b'x' * 50).status_code == 200
    app.config['max_body_size'] = 10
    assert c.post('/', body=b'x' * 50).status_code == 413


def test_abort_in_before_request():
    app = make_app()

    @app.before_request
    def guard(request):
        abort(429)

    @app.get('/')
    async def index(request):
        return 'never'

    assert TestClient(app).get('/').status_code == 429


def test_plugin_objects_are_named_by_their_class_in_errors_and_lists():
    from plugdot import App, PluginError
    from .helpers import raises

    class RequestTimer:
        def plugdot_after_requst(self, request, response):  # misspelt
            pass

    class Dup:
        def plugdot_settings(self):
            return {'max_body_size': (5, 'dup')}

    class Timing:
        def plugdot_after_request(self, request, response):
            pass
    error = raises(PluginError, App, plugins=[RequestTimer()])
    assert "plugin 'RequestTimer' is invalid" in str(error), str(error)
    error = raises(PluginError, App, plugins=[Dup()])
    assert "'Dup' and 'plugdot.config'" in str(error), str(error)
    names = App(plugins=[Timing(), Timing()]).list_plugins()
    assert 'Timing' in names and 'Timing#2' in names, names


def test_a_malformed_setting_names_the_plugin_and_the_setting():
    from plugdot import App, PluginError
    from .helpers import raises

    class BadShape:
        def plugdot_settings(self):
            return {'timer_header': 'X-Timer'}  # not a (default, help) pair

    class NotADict:
        def plugdot_settings(self):
            return ['timer_header']
    error = raises(PluginError, App, plugins=[BadShape()])
    assert str(error) == ("plugdot plugin 'BadShape': plugdot_settings() must return {name: "
                          "(default, help text)}; setting 'timer_header': 'X-Timer'"), str(error)
    error = raises(PluginError, App, plugins=[NotADict()])
    assert "'NotADict': plugdot_settings() must return {name: " in str(error), str(error)
    error = raises(PluginError, App().register_plugin, BadShape())
    assert "'BadShape'" in str(error) and "'timer_header'" in str(error), str(error)


def test_app_created_runs_for_mounted_apps_and_a_route_can_keep_to_the_served_app():
    # docs/hooks.md, plugdot_app_created
    from plugdot import App

    class Everywhere:
        def plugdot_app_created(self, app):
            @app.get('/healthz')
            async def healthz(request):
                return {'ok': True}

    class ServedOnly:
        def plugdot_app_created(self, app):
            @app.get('/ready')
            async def ready(request):
                if request.app is not app:  # app is mounted in the one being served
                    abort(404)
                return {'ready': True}
    plugins = [Everywhere(), ServedOnly()]
    api = App(plugins=plugins)
    app = App(plugins=plugins)
    app.mount(api, '/api')
    client = TestClient(app)
    assert client.get('/healthz').status_code == client.get('/api/healthz').status_code == 200
    assert client.get('/ready').json() == {'ready': True}
    assert client.get('/api/ready').status_code == 404
    assert TestClient(api).get('/ready').status_code == 200  # served by itself
