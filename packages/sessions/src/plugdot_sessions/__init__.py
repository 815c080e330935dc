"""plugdot-sessions: ``request.session`` for plugdot apps.

A plugin found through the ``plugdot`` entry point group. The session loads
on first use of ``request.session`` (nothing happens on requests that never
read it) and is written back only when it changed. Default store: a signed
JWT cookie; server-side stores keep a signed random id in the cookie.

Importing the plugin loads only its hooks: the session code (and its HS256
signer) loads with the first app that uses sessions, the stores with the
first app that uses one. (On a board, whose bundle has the plugin only if
the app uses it, the session code loads with the plugin.)
"""
from plugdot._compat import MICROPYTHON

__version__ = '0.1.0'
__all__ = ['MemoryBackend', 'Session', 'SessionBackend', 'SessionManager', 'SessionTooLarge',
           '__version__']

if MICROPYTHON:
    # On a board the session code loads with the plugin, while the bundle
    # loads: loaded by the app's startup, it would land among the garbage of
    # building the app and fragment the small heap.
    from . import manager  # noqa: F401  (a name the package has anyway)


def __getattr__(name):
    # (No globals(): a bundle merges a package's modules only where none names them.)
    if name in ('MemoryBackend', 'SessionBackend'):
        from . import backends
        return getattr(backends, name)
    if name in ('Session', 'SessionManager', 'SessionTooLarge', '_hs256'):
        from . import manager, _hs256  # (manager loads _hs256)
        return _hs256 if name == '_hs256' else getattr(manager, name)
    raise AttributeError(name)


def plugdot_settings():
    """The session settings (see docs/sessions.md)."""
    return {
        'secret_key_fallbacks': ([], 'Older secret keys still accepted, for key rotation.'),
        'session_cookie_name': ('session', 'Name of the session cookie.'),
        'session_max_age': (14 * 24 * 3600, 'Session lifetime in seconds (cookie Max-Age, '
                                            'token exp, store expiry).'),
        'session_cookie_path': ('/', 'Path attribute of the session cookie.'),
        'session_cookie_domain': ('', 'Domain attribute of the session cookie (empty: host only).'),
        'session_cookie_secure': ('auto', "Secure attribute: 'auto' (when the request is "
                                          "https), 'true' or 'false'."),
        'session_cookie_samesite': ('Lax', 'SameSite attribute: Lax, Strict or None.'),
        'session_backend': ('cookie', "'cookie', 'memory', a redis:// URL, or a "
                                      "SessionBackend object."),
        'session_backend_timeout': (2.0, 'Seconds a store operation may take (503 past it).'),
        'session_memory_max_entries': (10000, 'Most sessions kept by the memory store.'),
    }


def manager_of(app):
    """The :class:`SessionManager` of *app* (made on first use)."""
    found = getattr(app, '_plugdot_sessions', None)
    if found is None:
        if app.config.get('session_backend') not in (None, '', 'cookie'):  # a server-side store
            from .backends import StoreManager as make
        else:
            from .manager import SessionManager as make
        found = app._plugdot_sessions = make(app.config)
    return found


def plugdot_app_created(app):
    """Add the store loader to apps configured with a server-side store
    (they load the session before the handler); True for those apps."""
    if app.config.get('session_backend') in (None, '', 'cookie'):
        return False
    from .backends import StoreLoader
    if not any(isinstance(p, StoreLoader) for p in app.plugins.get_plugins()):
        app.register_plugin(StoreLoader(app.config['session_cookie_name']))
    return True


def plugdot_startup(app):
    """Fail at startup on a bad session configuration: a server-side store
    without a secret key, an unknown store. (Without a store and without a
    secret, the first use of ``request.session`` fails with a clear error:
    having the plugin installed does not mean the app uses sessions.)"""
    if plugdot_app_created(app) or app.config.get('secret_key'):
        manager_of(app)


def plugdot_request_attribute(request, name):
    """``request.session``: loaded on first use, saved after the response if changed."""
    if name != 'session':
        return None
    m = manager_of(request.app)
    if m.backend is not None:
        from .session import Session
        session = Session()  # no cookie (else the loader ran): a new session
    else:
        session = m.from_cookie(request)
    request.after_this_request(m.save)
    return session


try:  # the name it answers (CPython: a descriptor, see plugdot.request.declare_attributes)
    plugdot_request_attribute.names = ('session',)
except AttributeError:  # a board's functions take no attributes
    pass


def plugdot_bundle_modules():
    """The portable modules of this plugin."""
    return ['plugdot_sessions', 'plugdot_sessions.session', 'plugdot_sessions.manager',
            'plugdot_sessions._hs256', 'plugdot_sessions.backends']
