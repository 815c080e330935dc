"""plugdot-cors: cross-origin resource sharing for plugdot apps.

Configure it with settings named after Microdot's ``CORS()`` arguments
(``cors_allowed_origins``, ``cors_allow_credentials``, ...); override them
on one route with :func:`cors`. Preflights are answered before the handler
(and before routing decides 404/405); every response the rules affect gets
the CORS headers and ``Vary: Origin``, error responses included; WebSocket
and SSE handshakes from origins not allowed are refused with a 403.
Portable: the same code runs on a board.
"""
from plugdot import hookimpl

__version__ = '0.1.0'
__all__ = ['CORSConfigError', 'cors', 'origin_allowed', 'policy_for', '__version__']

_OVERRIDES = {}  # handler function -> dict of overrides, or False (CORS off for it)
try:  # id -> app whose plan left this plugin's hooks out (plugdot_inert_hooks)
    from weakref import WeakValueDictionary
    _INERT = WeakValueDictionary()
except ImportError:  # MicroPython: a board has one app, alive as long as the program
    _INERT = {}
_KEYS = ('allowed_origins', 'allowed_origin_regex', 'allowed_methods', 'allowed_headers',
         'expose_headers', 'allow_credentials', 'max_age')


def __getattr__(name):
    if name == 'CORSConfigError':  # loads the policy module on first use
        from .policy import CORSConfigError
        return CORSConfigError
    raise AttributeError(name)


def plugdot_settings():
    """The CORS settings (see docs/cors.md); empty origins: the plugin is off."""
    return {
        'cors_allowed_origins': ([], "Origins that may read responses: exact "
                                     "('https://app.example.com'), globs "
                                     "('https://*.example.com', '*' never crosses a dot), "
                                     "'null' only if listed, or '*'."),
        'cors_allowed_origin_regex': ('', 'A regular expression an origin must match in '
                                          'full (fullmatch), in addition to the list.'),
        'cors_allowed_methods': (list(('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')),
                                 "Methods a preflight may ask for ('*': any)."),
        'cors_allowed_headers': ([], "Request headers a preflight may ask for ('*': those "
                                     'asked for); the safelisted ones are always allowed.'),
        'cors_expose_headers': ([], 'Response headers the page may read.'),
        'cors_allow_credentials': (False, "Allow cookies and HTTP auth (never with '*')."),
        'cors_max_age': (600, 'Seconds a browser may cache a preflight answer.'),
    }


def cors(enabled=True, **overrides):
    """Per-route CORS rules: ``@cors(allowed_origins=[...], allow_credentials=True)``
    (any setting name without ``cors_``) merged over the app's settings, or
    ``@cors(False)`` for no CORS headers on this route. Put it below the
    route decorator, or on a method of an ``App`` subclass."""
    for key in overrides:
        if key not in _KEYS:
            raise TypeError('cors() got %r; expected one of %s' % (key, ', '.join(_KEYS)))

    def mark(fn):
        first = not _OVERRIDES
        _OVERRIDES[fn] = dict(overrides) if enabled else False
        if first:  # the apps that left CORS out of their plan need it back
            for app in list(_INERT.values()):
                app.replan()
            _INERT.clear()
        if enabled:  # a mistake in the route's own rules shows here, not on a request
            from .policy import Policy
            Policy(where='@cors on ' + getattr(fn, '__name__', '?'), **overrides)
        return fn
    if callable(enabled) and not isinstance(enabled, bool):  # bare @cors
        fn, enabled = enabled, True
        return mark(fn)
    return mark


class _State:
    """One app's compiled policies (dropped when its config changes)."""

    def __init__(self, app):
        from .policy import Policy
        config = app.config
        self.settings = dict((key, config.get('cors_' + key)) for key in _KEYS)
        self.policy = Policy(**self.settings)
        self.routes = {}

    def for_route(self, app, route):
        if route is None or not _OVERRIDES:
            return self.policy
        fn = _route_function(app, route)
        overrides = _OVERRIDES.get(fn) if fn is not None else None
        if overrides is None:
            return self.policy
        found = self.routes.get(fn)
        if found is None:
            if overrides is False:
                found = _OFF
            else:
                from .policy import Policy
                merged = dict(self.settings)
                merged.update(overrides)
                found = Policy(where='@cors on ' + route.name, **merged)
            self.routes[fn] = found
        return found


class _Off:
    active = False


_OFF = _Off()


def _route_function(app, route):
    if getattr(route, 'kind', None) == 'class':  # a bound method: find its function
        fn = getattr(route.fn, '__func__', None)
        return fn if fn is not None else getattr(type(app), route.name, None)
    return route.fn


def _state(app):
    state = getattr(app, '_plugdot_cors', None)
    if not state:
        state = app._plugdot_cors = _State(app)
    return state


def _configured_state(app):
    # None when neither the settings nor any @cors route ask for CORS; the
    # settings' answer is kept on the app (False) until its config changes,
    # so that an app without CORS pays two lookups per request.
    state = getattr(app, '_plugdot_cors', None)
    if state:
        return state
    if state is None:
        config = app.config
        if config.get('cors_allowed_origins') or config.get('cors_allowed_origin_regex'):
            return _state(app)
        app._plugdot_cors = False
    return _state(app) if _OVERRIDES else None


def policy_for(request, route=None):
    """The :class:`~plugdot_cors.policy.Policy` that applies to *request*
    (its route's ``@cors`` rules, else the app's settings)."""
    return _state(request.app).for_route(request.app, route or request.route)


def origin_allowed(request):
    """True if the request's ``Origin`` may use this endpoint: no Origin,
    the request's own origin, or one the CORS rules allow. What WebSocket and
    SSE handshakes are checked with (other plugins may call it too)."""
    origin = request.headers.get('origin')
    if origin is None:
        return True
    policy = policy_for(request)
    if not policy.active or policy.allows(origin):
        return True
    own = request.scheme.replace('ws', 'http') + '://' + request.host
    return origin.lower() == own.lower()


def plugdot_inert_hooks(app):
    """Leave both request hooks out of *app*'s plan while CORS is not asked
    for: no allowed origins in its settings and no ``@cors`` route in the
    program (the plan is compiled again when either changes)."""
    config = app.config
    if _OVERRIDES or config.get('cors_allowed_origins') \
            or config.get('cors_allowed_origin_regex'):
        return None
    _INERT[id(app)] = app  # (by id: an App subclass may be unhashable)
    return [plugdot_before_request, plugdot_after_request]


def plugdot_app_created(app):
    """Check the settings now: a mistake is an error naming the setting."""
    app.config.listeners.append(lambda: _drop(app))
    if app.config.get('cors_allowed_origins') or app.config.get('cors_allowed_origin_regex'):
        _state(app)


def _drop(app):
    app._plugdot_cors = None


def plugdot_startup(app):
    """Check the settings again, and every route's ``@cors`` rules merged
    with them, before the first request."""
    _drop(app)
    state = _configured_state(app)
    if state is None:  # CORS not asked for: requests must not pay for a policy
        return
    router = app.router
    tables = list(router.static.values()) + [entry[4] for entry in router.dynamic]
    routes = [route for table in tables for route in table.values()]
    routes.extend(router.class_routes.values())
    for route in routes:
        state.for_route(app, route)


@hookimpl(tryfirst=True)
def plugdot_before_request(request):
    """Answer preflights before the handler (and before a 404/405), and
    refuse WebSocket and SSE handshakes from origins not allowed."""
    state = _configured_state(request.app)
    if state is None:
        return None
    headers = request.headers
    origin = headers.get('origin')
    if origin is None:
        return None
    if request.method == 'OPTIONS':
        method = headers.get('access-control-request-method')
        if method is not None:
            policy = state.for_route(request.app, _preflight_route(request, method))
            if policy.active:
                return policy.preflight(origin, method,
                                        headers.get('access-control-request-headers'))
            request._plugdot_cors_off = True  # @cors(False): the OPTIONS answer grants nothing
            return None
    if request.scope.get('type') == 'websocket' or \
            'text/event-stream' in headers.get('accept', ''):
        if not origin_allowed(request):
            from plugdot import Response
            return Response('Origin not allowed', 403, None, 'text/plain; charset=utf-8')
    return None


def _preflight_route(request, method):
    # The route the real request would reach (a preflight is an OPTIONS);
    # for a method the path does not serve, its GET route, so that a
    # route's @cors rules still decide (the real request gets the 405).
    from plugdot import HTTPError
    for asked in (method.strip().upper(), 'GET'):
        try:
            return request.app.router.resolve(asked, request.route_path)[0]
        except (HTTPError, ValueError):
            pass
    return None


@hookimpl(trylast=True)
def plugdot_after_request(request, response):
    """CORS headers (and ``Vary: Origin``) on every response the rules
    affect, error responses included."""
    state = _configured_state(request.app)
    if state is None:
        return None
    if getattr(request, '_plugdot_cors_off', False):
        return None
    policy = state.for_route(request.app, request.route)
    if not policy.active or getattr(response, 'cors_preflight', False) \
            or 'access-control-allow-origin' in response.headers:
        return None
    policy.decorate(response, request.headers.get('origin'))
    return None


def plugdot_bundle_modules():
    """The portable modules of this plugin."""
    return ['plugdot_cors', 'plugdot_cors.policy']
