"""Every hook of plugdot, declared and documented in one place.

A plugin is a module (or an object) with functions named after these hooks;
plugdot finds them by their ``plugdot_`` names, so the ``@hookimpl`` marker
is only needed for options (``tryfirst=True``, ``trylast=True``).

A hook implementation may take any subset of the hook's arguments on
CPython. On MicroPython, where functions cannot be inspected, it takes all
of them in the order documented here (``plugdot bundle`` records the names,
which lifts that rule in a bundle).

Hooks marked *firstresult* stop at the first implementation that returns
something other than ``None``. ``plugdot_request`` is the one hook whose
implementations are wrappers (pluggy's ``wrapper=True``); old-style
``hookwrapper=True`` is refused, and so is ``wrapper=True`` on other hooks.
Hooks on the request path (``resolve``, ``parse_body``, ``before_request``,
``after_request``, ``handle_error``, ``make_response``, ``asgi_scope``) may be
``async def``; plugdot awaits them.
See ``docs/hooks.md`` for an example of each.
"""
from ._compat import load_pluggy

pluggy = load_pluggy()

hookspec = pluggy.HookspecMarker('plugdot')

#: Hooks only the CLI and ``plugdot bundle`` call, on CPython: a bundle
#: leaves their implementations off the board.
CPYTHON_ONLY_HOOKS = ('plugdot_add_commands', 'plugdot_bundle_modules', 'plugdot_bundle_sources')


@hookspec(historic=True)
def plugdot_app_created(app):
    """Called once for every new :class:`plugdot.App`, after its
    configuration is loaded; also for plugins registered afterwards.

    Add routes, helpers or configuration defaults here. ``app`` is the new
    application. The return value is ignored.
    """


@hookspec
def plugdot_settings():
    """Declare the settings a plugin reads from ``app.config``.

    Called when an app is created. Return a dict mapping each setting name
    to ``(default, help text)``. The default fixes the type used to read a
    ``PLUGDOT_<NAME>`` environment variable. Results from all plugins are
    merged; later plugins cannot silently replace a setting of another.
    """


@hookspec
def plugdot_startup(app):
    """Called once when the server starts the app (ASGI lifespan startup),
    before the first request. May be async. An exception fails the startup
    and is reported to the server. The return value is ignored.
    """


@hookspec
def plugdot_shutdown(app):
    """Called once when the server stops the app (ASGI lifespan shutdown),
    after the last request. May be async. The return value is ignored.
    """


@hookspec
def plugdot_stopping(app):
    """Called when the server begins a graceful shutdown, before it waits
    for the requests in flight: end long-lived responses (event streams,
    WebSockets) now, or the server waits for them. May be async. The
    return value is ignored. (``plugdot run`` and the mpy-server call it;
    under another server it is not called.)
    """


@hookspec
def plugdot_inert_hooks(app):
    """Name the request-path hook implementations of this plugin that have
    nothing to do for ``app`` as it is now: they are left out of the app's
    compiled plan, so its requests do not call them.

    Return a list of the implementations themselves (the functions, e.g.
    ``[plugdot_before_request, plugdot_after_request]``; a plugin object
    returns its bound methods), or ``None``/``[]`` to keep them all.
    Only the hooks compiled into the plan (``plugdot_request``,
    ``plugdot_resolve``, ``plugdot_request_attribute``,
    ``plugdot_parse_body``, ``plugdot_before_request``,
    ``plugdot_after_request``, ``plugdot_handle_error``,
    ``plugdot_make_response``, ``plugdot_asgi_scope``) can be left out; the
    others are always called.

    Asked each time the app compiles its plan: at startup or the first
    request, and again after a plugin is registered or unregistered, a
    setting changes, a route or mount is added, or an app hook is used
    (``@app.before_request`` & co.). An answer that depends on anything else
    must call ``app.replan()`` when that changes. Not async.
    """


@hookspec(firstresult=True)
def plugdot_resolve(request):
    """Decide which handler answers ``request``.

    Return ``(route, path_args)`` where ``route`` is a
    :class:`plugdot.routing.Route` and ``path_args`` a dict of converted path
    arguments, or ``None`` to let the next implementation decide. The
    built-in router (``trylast``) raises ``HTTPError(404)`` or
    ``HTTPError(405)`` when nothing matches. firstresult: stops at the first
    non-None result.
    """


@hookspec(firstresult=True)
def plugdot_request_attribute(request, name):
    """Provide ``request.<name>``, computed the first time it is read.

    Called only when ``name`` is not an attribute of the request (so it
    costs nothing on requests that do not read it). Return the value, which
    is then stored on the request, or ``None`` to let the next
    implementation decide; if none provides it, reading it raises
    AttributeError. Must not be async (attribute access cannot await).
    firstresult: stops at the first non-None result.
    """


@hookspec(firstresult=True)
def plugdot_parse_body(request, content_type):
    """Read and parse the body of ``request``, whose media type (lower case,
    without parameters) is ``content_type``.

    Called after resolving, before the before-request hooks and the
    handler, when a route matched, the request may have a body and the
    route does not stream it. Return a dict with any of the keys ``form`` (a
    :class:`plugdot.MultiDict`), ``files`` (a MultiDict) and ``json``, or
    ``None`` to let the next implementation decide. The built-in
    implementation (``trylast``) reads the body into memory up to
    ``max_body_size`` (413 past it) and leaves form and JSON decoding to the
    first access of ``request.form`` / ``request.json``. May be async.
    firstresult: stops at the first non-None result.
    """


@hookspec
def plugdot_request(request):
    """Wrap the whole handling of an HTTP request: every implementation is a
    *wrapper*, a generator function (``@hookimpl(wrapper=True)``, or
    unmarked) that yields exactly once::

        def plugdot_request(request):
            started = now()              # before anything else runs
            response = yield             # resolve, before, handler, after...
            response.headers['X-Took'] = str(now() - started)
            return response              # or a replacement Response

    Always runs, for every HTTP request of the top-level app: also when a
    ``plugdot_before_request`` answered, when the handler raised, and when
    another wrapper inside it raised. What ``yield`` returns is always a
    :class:`plugdot.Response` (errors are already turned into responses);
    returning ``None`` keeps it. An exception raised by the wrapper itself
    (``HTTPError(429)`` before its ``yield``) answers the request with the
    app's usual error response; the wrappers inside it and the rest of the
    pipeline do not run, the wrappers around it still see that response.
    Wrappers run outermost first: the same order as every other hook.
    Not async (use ``plugdot_before_request`` to await something).
    """


@hookspec(firstresult=True)
def plugdot_before_request(request):
    """Called after the route is resolved and its body read (not for
    ``stream=True`` routes), before the handler runs (also when no route
    matched, so that CORS preflight or authentication can answer).

    Return ``None`` to continue, or any value a handler may return to answer
    the request without running the handler (authentication, rate limits).
    firstresult: stops at the first non-None result. May be async.
    """


@hookspec
def plugdot_after_request(request, response):
    """Called with every response before it is sent, including error
    responses.

    Adjust ``response`` in place (headers, cookies) and return ``None``, or
    return a new :class:`plugdot.Response` to replace it for the
    implementations that follow. May be async.
    """


@hookspec(firstresult=True)
def plugdot_handle_error(request, error):
    """Turn an exception raised while handling ``request`` into a response.

    ``error`` is the exception; HTTP errors are :class:`plugdot.HTTPError`.
    Return a :class:`plugdot.Response` (or any handler return value), or
    ``None`` to let the next implementation decide. The built-in
    implementation (``trylast``) answers HTTP errors with their status and
    anything else with a logged 500 (with a traceback only when ``debug``
    is on). firstresult: stops at the first non-None result. May be async.
    """


@hookspec(firstresult=True)
def plugdot_make_response(request, value):
    """Turn a handler's return value into a :class:`plugdot.Response`.

    The built-in implementation (``trylast``) handles ``str``, ``bytes``,
    ``dict``/``list`` (JSON), ``None`` (204), an ``int`` status,
    ``Response``, iterators and async iterators (streamed) and the tuple
    forms of docs/guide.md ("Return values": ``(body, status[, headers])``,
    ``(body, headers)``, ``(status, body[, headers])``, ``(status, dict)``
    as status and headers). Return
    ``None`` to let the next implementation decide. firstresult: stops at
    the first non-None result.
    """


@hookspec(firstresult=True)
def plugdot_asgi_scope(app, scope, receive, send):
    """Take over an ASGI scope type the core does not handle
    (``websocket``).

    Handle the connection and return ``True``, or return ``None`` to leave
    it to the next implementation. With no taker a ``websocket`` connection
    is closed (the server answers 403). May be async. firstresult: stops at
    the first non-None result.
    """


@hookspec
def plugdot_add_commands(subparsers):
    """Add subcommands to the ``plugdot`` command line.

    ``subparsers`` is the ``argparse`` sub-parser collection; add a parser
    with ``subparsers.add_parser(name, help=...)`` and set its handler with
    ``parser.set_defaults(func=callable)``; the callable receives the parsed
    ``argparse.Namespace`` and returns an exit status. CPython only.
    """


@hookspec
def plugdot_bundle_modules():
    """Name the modules a plugin contributes to a MicroPython bundle.

    Return a list of importable module or package names whose source is
    portable (no CPython-only imports at module level). ``plugdot bundle``
    copies exactly these for each chosen plugin. CPython only.
    """


@hookspec
def plugdot_bundle_sources(app):
    """Generate modules for a MicroPython bundle of ``app`` (``plugdot
    bundle``), such as templates compiled to Python.

    Return a dict mapping each module name (dotted, written to the path it
    names: ``pkg.__init__`` is ``pkg/__init__.py``) to its Python source, or
    ``None``. The modules are written and compiled to ``.mpy`` like the
    others, but never specialized (they are the app's, not the library's).
    An exception refuses the bundle with its message. CPython only.
    """
