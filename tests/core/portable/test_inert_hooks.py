"""plugdot_inert_hooks: a plugin leaves its request-path hooks out of an
app's plan while they have nothing to do for it, and gets them back as soon
as a setting, a route, a plugin or ``app.replan()`` says they do."""
from plugdot import PluginError
from plugdot.testing import TestClient

from .helpers import make_app, raises

STAMPED = []  # handlers that ask for the Stamp plugin (what a decorator would mark)


class Stamp:
    """Adds ``X-Stamp`` to the responses of the routes that ask for it, or
    to every response when the ``stamp`` setting is on; inert otherwise.
    Counts its calls, so the tests see what the plan left out."""

    def __init__(self):
        self.asked = 0
        self.calls = 0
        self.forced = False  # something outside the app's config and routes

    def plugdot_settings(self):
        return {'stamp': ('', 'Text of X-Stamp on every response (empty: none).')}

    def plugdot_inert_hooks(self, app):
        self.asked += 1
        if app.config['stamp'] or self.forced or _stamped_route(app):
            return None
        return [self.plugdot_before_request, self.plugdot_after_request]

    def plugdot_before_request(self, request):
        self.calls += 1
        return None

    def plugdot_after_request(self, request, response):
        self.calls += 1
        route = request.route
        text = request.app.config['stamp'] or ('route' if route is not None and route.fn in STAMPED
                                               else 'forced' if self.forced else None)
        if text:
            response.headers['X-Stamp'] = text
        return None


def _stamped_route(app):
    return any(route.fn in STAMPED for table in app.router.static.values()
               for route in table.values())


class Other:
    """A plugin with the same hook, never inert: must keep running."""

    def __init__(self):
        self.calls = 0

    def plugdot_after_request(self, request, response):
        self.calls += 1
        response.headers['X-Other'] = 'yes'
        return None


def _app():
    app = make_app()
    stamp = Stamp()
    app.register_plugin(stamp)

    @app.get('/')
    async def index(request):
        return 'x'
    return app, stamp, TestClient(app)


def test_inert_hooks_are_not_called_and_others_still_are():
    app, stamp, client = _app()
    other = Other()
    app.register_plugin(other)
    r = client.get('/')
    assert (r.status_code, r.text) == (200, 'x')
    assert 'x-stamp' not in r.headers and r.headers['x-other'] == 'yes'
    assert stamp.calls == 0 and stamp.asked == 1 and other.calls == 1
    client.get('/')
    assert stamp.asked == 1  # asked when the plan is compiled, not per request
    assert stamp.calls == 0 and other.calls == 2


def test_a_setting_changed_later_brings_the_hooks_back_and_back_out():
    app, stamp, client = _app()
    assert 'x-stamp' not in client.get('/').headers
    app.config['stamp'] = 'on'
    assert client.get('/').headers['x-stamp'] == 'on'
    assert stamp.calls == 2
    app.config['stamp'] = ''
    assert 'x-stamp' not in client.get('/').headers
    assert stamp.calls == 2


def test_a_route_added_after_the_first_request_gets_its_plugin():
    app, stamp, client = _app()
    assert 'x-stamp' not in client.get('/').headers and stamp.calls == 0

    async def late(request):
        return 'late'
    STAMPED.append(late)
    try:
        app.get('/late')(late)
        r = client.get('/late')
        assert (r.text, r.headers['x-stamp']) == ('late', 'route')
        assert 'x-stamp' not in client.get('/').headers
    finally:
        STAMPED.remove(late)


def test_a_plugin_registered_or_a_mount_added_later_asks_again():
    app, stamp, client = _app()
    client.get('/')
    asked = stamp.asked
    app.register_plugin(Other())
    assert client.get('/').headers['x-other'] == 'yes'
    assert stamp.asked == asked + 1
    sub = make_app()

    @sub.get('/')
    async def sub_index(request):
        return 'sub'
    app.mount(sub, '/sub')
    assert client.get('/sub/').text == 'sub'
    assert stamp.asked == asked + 2


def test_replan_asks_again_for_what_the_app_cannot_see():
    app, stamp, client = _app()
    assert 'x-stamp' not in client.get('/').headers
    stamp.forced = True
    assert 'x-stamp' not in client.get('/').headers  # the plan is still the old one
    app.replan()
    assert client.get('/').headers['x-stamp'] == 'forced'


def test_startup_compiles_the_plan_and_asks():
    app, stamp, _ = _app()
    with TestClient(app) as client:
        assert stamp.asked == 1
        assert client.get('/').status_code == 200
        assert stamp.asked == 1 and stamp.calls == 0


class ByName(Stamp):
    def plugdot_inert_hooks(self, app):
        return ['plugdot_after_request']


class NotHot(Stamp):
    def plugdot_startup(self, app):
        pass

    def plugdot_inert_hooks(self, app):
        return [self.plugdot_startup]


def _startup_failure(app):
    client = TestClient(app)
    try:
        client.__enter__()
    except RuntimeError as exc:
        return str(exc)
    finally:
        if client._loop is not None:
            client._loop.close()
    raise AssertionError('the startup did not fail')


def test_a_wrong_answer_is_an_error_naming_it():
    for plugin, named in ((ByName(), "'plugdot_after_request'"), (NotHot(), 'plugdot_startup')):
        app = make_app()
        app.register_plugin(plugin)
        message = _startup_failure(app)
        assert 'PluginError' in message and 'plugdot_inert_hooks returned' in message, message
        assert named in message and 'request-path' in message, message
        assert 'plugdot_inert_hooks returned' in str(raises(PluginError, app._compile))
