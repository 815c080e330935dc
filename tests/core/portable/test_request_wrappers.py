"""plugdot_request wrappers, settings checks and the portable clock: the
same behaviour on CPython and under MicroPython (run_portable.py)."""
from plugdot import App, HTTPError, PluginError, monotonic
from plugdot.testing import TestClient

from .helpers import make_app, raises


class Recorder:
    """A wrapper plugin that records what it saw and stamps the response."""

    def __init__(self, name, log):
        self.name = name
        self.log = log

    def plugdot_request(self, request):
        self.log.append(self.name + ' in')
        response = yield
        self.log.append('%s out %d' % (self.name, response.status))
        response.headers['X-' + self.name] = 'seen'


class Limit:
    """Answers 429 before anything inside it runs."""

    def plugdot_request(self, request):
        if request.path == '/limited':
            raise HTTPError(429, headers={'Retry-After': '7'})
        yield


class Answer:
    """A before_request that answers: the wrappers still see the answer."""

    def plugdot_before_request(self, request):
        if request.path == '/answered':
            return 'from before', 403


def app_with(*plugins):
    app = make_app()
    for plugin in plugins:
        app.register_plugin(plugin)

    @app.get('/')
    async def index(request):
        return 'ok'

    @app.get('/boom')
    async def boom(request):
        raise ValueError('boom')

    return app


def test_wrappers_run_around_everything_in_order():
    log = []
    # registered later runs first (outermost), like every other hook
    app = app_with(Recorder('Inner', log), Recorder('Outer', log))
    r = TestClient(app).get('/')
    assert r.text == 'ok' and r.headers['x-outer'] == 'seen' and r.headers['x-inner'] == 'seen'
    assert log == ['Outer in', 'Inner in', 'Inner out 200', 'Outer out 200']


def test_wrappers_see_errors_and_before_request_answers():
    log = []
    app = app_with(Answer(), Recorder('W', log))
    c = TestClient(app)
    r = c.get('/answered')
    assert (r.status_code, r.text, r.headers['x-w']) == (403, 'from before', 'seen')
    r = c.get('/boom')
    assert r.status_code == 500 and r.headers['x-w'] == 'seen'
    r = c.get('/nowhere')
    assert r.status_code == 404 and r.headers['x-w'] == 'seen'
    assert log == ['W in', 'W out 403', 'W in', 'W out 500', 'W in', 'W out 404']


def test_a_wrapper_raising_answers_and_outer_wrappers_still_see_it():
    log = []
    app = app_with(Recorder('Inner', log), Limit(), Recorder('Outer', log))
    c = TestClient(app, headers={'Accept': 'application/json'})
    r = c.get('/limited')
    assert r.status_code == 429 and r.headers['retry-after'] == '7'
    assert r.json() == {'error': 'Too Many Requests', 'status': 429}  # the usual error format
    assert r.headers['x-outer'] == 'seen' and 'x-inner' not in r.headers
    assert log == ['Outer in', 'Outer out 429']


def test_a_wrapper_may_replace_the_response():
    class Replace:
        def plugdot_request(self, request):
            yield
            return {'replaced': True}
    r = TestClient(app_with(Replace())).get('/')
    assert r.json() == {'replaced': True}


def test_a_wrapper_that_does_not_yield_is_a_500_not_a_hang():
    class Broken:
        def plugdot_request(self, request):
            return None
            yield  # noqa: a generator that ends before yielding
    r = TestClient(app_with(Broken())).get('/')
    assert r.status_code == 500


def test_two_plugins_declaring_one_setting_are_refused_naming_both():
    class One:
        def plugdot_settings(self):
            return {'shared_key': (1, 'one')}

    class Two:
        def plugdot_settings(self):
            return {'shared_key': (2, 'two')}
    app = make_app()
    app.register_plugin(One(), 'one')
    err = raises(PluginError, app.register_plugin, Two(), 'two')
    assert 'two' in str(err) and 'shared_key' in str(err)
    err = raises(PluginError, App, plugins=[One(), Two()])
    assert 'shared_key' in str(err)


def test_config_values_are_type_checked_when_the_app_is_built():
    err = raises(ValueError, App, config={'max_body_size': '1MB'}, plugins=[])
    assert 'max_body_size' in str(err) and 'integer' in str(err)
    raises(ValueError, App, config={'debug': 'yes'}, plugins=[])
    app = App(config={'max_body_size': 10, 'debug': True, 'my_own_key': object()}, plugins=[])
    assert app.config['max_body_size'] == 10


def test_list_plugins_names_the_plugins_in_call_order():
    app = app_with(Recorder('W', []))
    names = app.list_plugins()
    assert 'plugdot.routing' in names and 'plugdot.response' in names
    assert not [n for n in names if n.startswith('app-hooks-')]


def test_monotonic_clock_moves_forward():
    import time
    first = monotonic()
    if hasattr(time, 'sleep_ms'):
        time.sleep_ms(20)
    else:
        time.sleep(0.02)
    assert 0.015 <= monotonic() - first < 5
