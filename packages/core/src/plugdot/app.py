"""The :class:`App`: ASGI entry point, lifespan, the request pipeline,
decorators, mounting and configuration.

The pipeline is a short sequence of stages:
resolve -> (read body) -> before -> handle -> make response -> after -> send,
with errors turned into responses by ``plugdot_handle_error``. Each stage
calls the plain functions of the compiled plan (:meth:`App._compile`); a
stage nobody implements costs a tuple check.
"""
import sys

from ._compat import MICROPYTHON, isawaitable, log_exception, run_sync, settle
from .config import Config, environ, setting_pair
from .errors import HTTPError, MissingKey, PluginError, plugdot_handle_error
from .request import Request, plugdot_parse_body
from .response import plugdot_make_response, to_response
from .routing import NEEDS, Router, plugdot_resolve

# Request.scan_headers as a plain function: the app always makes a Request
# itself, and a method read through Request's __getattr__ is slow.
_scan_headers = Request.scan_headers
_wrapper_module = None  # plugdot._wrappers once the plan has wrappers (see response.py's)

#: Hooks called on every request, compiled into the plan (App._compile).
HOT_HOOKS = ('plugdot_request', 'plugdot_resolve', 'plugdot_request_attribute',
             'plugdot_parse_body', 'plugdot_before_request', 'plugdot_after_request',
             'plugdot_handle_error', 'plugdot_make_response', 'plugdot_asgi_scope')


async def first_result(functions, *args):
    """The first result that is not None of calling *functions* with *args*
    in order (awaited when awaitable), or None: how most hooks are called."""
    for fn in functions:
        value = fn(*args)
        if isawaitable(value):  # inline: a coroutine per call costs on a board
            value = await value
        if value is not None:
            return value
    return None


class App:
    """A plugdot application, and an ASGI 3 callable.

    Decorator style: ``app = App()`` then ``@app.get('/users/<int:id>')``.
    Class style: subclass ``App``; each public method the subclass defines
    is a route (``index`` is ``/``), and ``self.request`` is the current
    request. Both styles can be mixed.

    *config* overrides setting defaults (``PLUGDOT_*`` environment variables
    override both); *plugins* and *block_plugins* choose the plugins (on
    CPython, see :func:`plugdot.plugins.make_plugin_manager`; on a board, the
    bundle's hook table, :mod:`plugdot._table`).
    """

    _app_hooks = None  # (made by .hooks; class-level: an attribute less per app on a board)

    def __init__(self, config=None, plugins=None, block_plugins=None):
        # The plugin manager: on a MicroPython board, the hook table `plugdot
        # bundle` resolved (plugdot._table); elsewhere plugdot.plugins'.
        pm = None
        if MICROPYTHON:
            from ._table import bundled, from_bundle
            table = bundled()
            if table is not None:
                pm = from_bundle(table, plugins, block_plugins)
        if pm is None:
            from .plugins import make_plugin_manager
            pm = make_plugin_manager(plugins, block_plugins)
            # A board from source finds no plugins: a route a plugin's decorator
            # made loads that plugin (App._require_plugin).
            pm.autoload = MICROPYTHON and plugins is None
        self.plugins = pm
        owners = pm.owners('plugdot_settings')
        self.config = Config([(owners[i], fn()) for i, fn
                              in enumerate(pm.implementations('plugdot_settings'))],
                             config, environ())
        # One list of listeners for the settings, the routes and the plugins
        # (two lists and two bound methods less per app on a board)
        self.config.listeners.append(self.replan)
        self.router = Router(self.config.listeners)
        self._plan = None
        pm.listeners = self.config.listeners
        if type(self) is not App:
            self.router.add_class_routes(self, App)
            if NEEDS:
                for route in self.router.class_routes.values():
                    self._require_plugin(getattr(type(self), route.name), route.pattern)
        self.plugins.hook.plugdot_app_created.call_historic(kwargs={'app': self})

    # -- configuration and plugins --------------------------------------
    def replan(self):
        """Compile the request plan again before the next request (asking
        ``plugdot_inert_hooks`` again): for a plugin whose answer depends on
        something other than the app's plugins, settings, routes and hooks,
        which recompile it themselves."""
        self._plan = None

    def _compile(self):
        # The plan: a dict of the hot hooks' implementations (tuples of
        # functions taking the hook's arguments positionally, keyed by the
        # hook's name without its prefix), empty for hooks nobody
        # implements, which the pipeline skips; and what they depend on.
        pm = self.plugins
        skip = []  # what plugins have nothing to do for this app (plugdot_inert_hooks)
        for found in pm.hook.plugdot_inert_hooks(app=self):
            for fn in found:
                if getattr(fn, '__name__', None) not in HOT_HOOKS:
                    raise PluginError('plugdot_inert_hooks returned %r: return the request-path '
                                      'hook implementations themselves (%s), not names or '
                                      'other hooks' % (fn, ', '.join(HOT_HOOKS)))
            skip.extend(found)

        def impls(name):
            return pm.implementations(name, skip)
        own = self._app_hooks
        resolve = impls('plugdot_resolve')
        make_response = impls('plugdot_make_response')
        parse_body = impls('plugdot_parse_body')
        attribute = impls('plugdot_request_attribute')
        if not MICROPYTHON:  # (CPython) the names they provide, as descriptors
            from .request import declare_attributes
            declare_attributes(attribute)
        self._plan = plan = {
            'request': impls('plugdot_request'),
            'resolve': resolve,
            'request_attribute': attribute,
            # the body readers but the built-in one, which is called after
            # them (read_body) without its hook's frame
            'parse_body': tuple(fn for fn in parse_body if fn is not plugdot_parse_body),
            'read_body': plugdot_parse_body in parse_body,
            'before': impls('plugdot_before_request'),
            'after': impls('plugdot_after_request'),
            'handle_error': impls('plugdot_handle_error'),
            'make_response': make_response,
            'asgi_scope': impls('plugdot_asgi_scope'),
            # a mounted app's own hooks (its plugins' ran in the parent)
            'local_before': (own.plugdot_before_request,) if own and own.before else (),
            'local_after': (own.plugdot_after_request,) if own and own.after else (),
            'local_errors': (own.plugdot_handle_error,) if own and own.error_handlers else (),
            'max_header_count': self.config['max_header_count'],
            'max_header_size': self.config['max_header_size'],
            # Hooks only the built-in plugin implements are called directly.
            'builtin_resolve': resolve == (plugdot_resolve,),
            'builtin_make_response': make_response == (plugdot_make_response,),
        }
        return plan

    def register_plugin(self, plugin, name=None):
        """Register a plugin (module or object) with this app only."""
        settings = getattr(plugin, 'plugdot_settings', None)
        settings = settings() if settings is not None else {}
        label = name or getattr(plugin, '__name__', None) or type(plugin).__name__
        for key in settings:
            if key in self.config.help:
                raise PluginError('plugdot plugin %r declares setting %r, which another plugin '
                                  'of this app declares already: rename one of them'
                                  % (label, key))
            setting_pair(label, key, settings)
        name = self.plugins.add(plugin, name)
        for key in settings:
            default, text = settings[key]
            self.config.declare(key, default, text)
        return name

    def list_plugins(self):
        """The names of this app's plugins, built-ins included, in the order
        their hooks run (the same list on CPython and in a MicroPython
        bundle; docs/hooks.md, "Order")."""
        pm = self.plugins
        names = []
        for hook in ('plugdot_settings',) + HOT_HOOKS + ('plugdot_app_created',
                                                       'plugdot_startup', 'plugdot_shutdown'):
            for name in pm.owners(hook):
                if name not in names and not name.startswith('app-hooks-'):
                    names.append(name)
        return names

    @property
    def hooks(self):
        """This app's own hook functions (registered as a plugin on first use)."""
        if self._app_hooks is None:
            try:
                from ._app_hooks import AppHooks  # loaded by apps that use it only
            except ImportError:  # a bundle whose sources named no app hook
                raise ImportError('plugdot._app_hooks is not in this bundle: make it again with '
                                  'plugdot bundle --module plugdot._app_hooks')
            self._app_hooks = AppHooks()
            self.plugins.register(self._app_hooks, name='app-hooks-%x' % id(self))
        self.replan()
        return self._app_hooks

    # -- decorators -------------------------------------------------------
    def route(self, pattern, methods=('GET',), stream=False, _verb='route'):
        """Register the decorated function for *pattern* and *methods*.

        The handler is called as ``handler(request, **path_args)``; sync
        handlers run in a worker thread on CPython. With ``stream=True`` the
        body is not read beforehand: use ``request.stream()``. (*_verb* is
        the decorator's name in error messages.)
        """
        if not isinstance(pattern, str):
            name = getattr(pattern, '__name__', 'handler')
            raise TypeError('@app.%s used without its URL pattern on %s: write '
                            '@app.%s(\'/path\') (with parentheses) above it'
                            % (_verb, name, _verb))

        def decorator(fn):
            if isinstance(methods, str):
                raise TypeError('methods=%r on handler %s is a string: write methods=[%r]'
                                % (methods, getattr(fn, '__name__', fn), methods))
            if NEEDS:
                self._require_plugin(fn, pattern)
            self.router.add(pattern, fn, methods, stream)
            return fn
        return decorator

    def _require_plugin(self, fn, pattern):
        need = NEEDS.get(fn)
        if need is None:
            return
        name, module = need
        for registered, plugin in self.plugins.list_name_plugin():
            if registered in need or getattr(plugin, '__name__', None) == module:
                return
        if getattr(self.plugins, 'autoload', False):
            self.register_plugin(__import__(module, None, None, ['x']), name)
            return
        from .errors import PluginError
        raise PluginError('route %s (%s) needs the plugin %r (module %s), which this app has '
                          'not loaded: install it, list %r in App(plugins=[...]) or '
                          'PLUGDOT_PLUGINS, or bundle with --plugin %s'
                          % (pattern, getattr(fn, '__name__', 'handler'), name, module, name, name))

    def get(self, pattern, stream=False):
        """``route(pattern, methods=('GET',))``."""
        return self.route(pattern, ('GET',), stream, 'get')

    def post(self, pattern, stream=False):
        """``route(pattern, methods=('POST',))``."""
        return self.route(pattern, ('POST',), stream, 'post')

    def put(self, pattern, stream=False):
        """``route(pattern, methods=('PUT',))``."""
        return self.route(pattern, ('PUT',), stream, 'put')

    def patch(self, pattern, stream=False):
        """``route(pattern, methods=('PATCH',))``."""
        return self.route(pattern, ('PATCH',), stream, 'patch')

    def delete(self, pattern, stream=False):
        """``route(pattern, methods=('DELETE',))``."""
        return self.route(pattern, ('DELETE',), stream, 'delete')

    def add_converter(self, name, regex, convert=str):
        """Add a path converter usable as ``<name:arg>`` in later routes."""
        self.router.add_converter(name, regex, convert)

    def mount(self, subapp, prefix):
        """Serve *subapp* under *prefix*; its own hooks apply to its routes,
        this app's hooks apply around them."""
        self.router.mount(prefix, subapp)

    def before_request(self, fn):
        """Run ``fn(request)`` before each handler; a non-None return value
        answers the request instead of the handler."""
        self.hooks.before.append(fn)
        return fn

    def after_request(self, fn):
        """Run ``fn(request, response)`` after each handler (in reverse order
        of registration); it may return a replacement response."""
        self.hooks.after.append(fn)
        return fn

    def errorhandler(self, status_or_exception):
        """Handle an HTTP status (``404``) or an exception class (and its
        subclasses) with ``fn(request, error)`` (or Microdot's
        ``fn(request)``), which returns a response. ``500`` also handles
        any exception no other handler takes."""
        if not isinstance(status_or_exception, (int, type)):
            name = getattr(status_or_exception, '__name__', 'handler')
            raise TypeError('@app.errorhandler used without a status or an exception class on '
                            '%s: write @app.errorhandler(404) or @app.errorhandler(ValueError)'
                            % name)

        def decorator(fn):
            hooks = self.hooks
            from ._app_hooks import error_handler_call
            hooks.error_handlers.append((status_or_exception, error_handler_call(fn)))
            return fn
        return decorator

    def add_middleware(self, middleware):
        """Add a middleware object with ``before_request(request)`` and/or
        ``after_request(request, response)`` methods (sync or async)."""
        before = getattr(middleware, 'before_request', None)
        after = getattr(middleware, 'after_request', None)
        if before is None and after is None:
            raise TypeError('middleware needs a before_request or after_request method')
        hooks = self.hooks
        if before is not None:
            hooks.before.append(before)
        if after is not None:
            if before is not None:
                hooks.paired[after] = len(hooks.before) - 1
            hooks.after.append(after)
        return middleware

    def on_startup(self, fn):
        """Run ``fn()`` (sync or async) when the server starts the app."""
        self.hooks.startup.append(fn)
        return fn

    def on_shutdown(self, fn):
        """Run ``fn()`` (sync or async) when the server stops the app."""
        self.hooks.shutdown.append(fn)
        return fn

    @property
    def request(self):
        """The request being handled (class-style handlers)."""
        # The slot is in plugdot._class_routes, which only class-style apps load.
        module = sys.modules.get('plugdot._class_routes')
        request = module.current_request.get() if module is not None else None
        if request is None:
            raise RuntimeError('self.request is only available while handling a request')
        return request

    def url_for(self, route_name, **args):
        """The path of the route whose handler is named *route_name*:
        ``app.url_for('user', id=3)`` is ``/users/3`` for
        ``@app.get('/users/<int:id>') def user(...)``; arguments the pattern
        does not name become the query string. ValueError if no route has
        that name or an argument is missing."""
        url = self.router.url_for(route_name, args)
        if url is None:
            raise ValueError('url_for: no route is named %r' % route_name)
        return url

    def routes(self):
        """Every route as ``(methods, pattern, handler name)``."""
        return self.router.describe()

    # -- ASGI -------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        kind = scope['type']
        if kind == 'http':
            request = Request(self, scope, receive)
            response = await self.respond(request)
            try:
                await response.send(send, request)
            except Exception as exc:
                await self.send_failed(request, response, send, exc)
        elif kind == 'lifespan':  # plugdot._lifespan: a server that knows a plugdot App
            from . import _lifespan  # (plugdot-mpy-server) calls startup() itself
            await _lifespan.run(self, receive, send)
        else:  # inline, not a method: a WebSocket holds every frame below it while open
            plan = self._plan or self._compile()
            if await first_result(plan['asgi_scope'], self, scope, receive, send) is None \
                    and kind == 'websocket':
                await receive()
                await send({'type': 'websocket.close', 'code': 1008})

    # -- serving without the ASGI call (servers that know a plugdot App) ---
    def respond(self, request):
        """Return an awaitable of the :class:`~plugdot.response.Response` to
        *request* (a ``Request(app, scope, receive)`` of this app): every
        stage of the pipeline, ``plugdot_request`` wrappers included, but
        sending it. The ASGI ``http`` call is ``respond``, then
        ``response.send(send, request)``, then :meth:`send_failed` if that
        raised; a server that knows it serves a plugdot App (plugdot-mpy-server)
        runs the same three steps itself, which keeps the frame of the ASGI
        call off the heap while the handler runs (docs/architecture.md, "On a
        board: a plugdot App called directly"). A plain function, so that it
        adds no frame of its own."""
        plan = self._plan or self._compile()
        if not plan['request']:
            return self.dispatch(request)
        global _wrapper_module  # plugdot_request wrappers: loaded on first use
        if _wrapper_module is None:
            from . import _wrappers as _wrapper_module
        return _wrapper_module.wrapped(self, plan, request)

    def scope_takers(self):
        """The ``plugdot_asgi_scope`` implementations of this app, in order:
        what its ASGI call runs for a ``websocket`` scope (the first that
        returns non-None took it). A server that knows it serves a plugdot
        App (plugdot-mpy-server) calls them itself, which keeps the frames of
        the ASGI call off the heap while a WebSocket is open."""
        return (self._plan or self._compile())['asgi_scope']

    async def send_failed(self, request, response, send, exc):
        """Sending *response* raised *exc*: a client that left (EPIPE,
        ECONNRESET) is nothing wrong; anything else is logged, and answered
        with a 500 if the response had not started."""
        if isinstance(exc, OSError) and exc.args and exc.args[0] in (32, 104):  # EPIPE, ECONNRESET
            return  # the client left mid-response: nobody to answer, nothing wrong
        log_exception('Error while sending the response to %s %s'
                      % (request.method, request.path), exc)
        if not getattr(response, 'started', False):
            await send({'type': 'http.response.start', 'status': 500,
                        'headers': [(b'content-type', b'text/plain; charset=utf-8')]})
            await send({'type': 'http.response.body', 'body': b'Internal Server Error'})

    async def startup(self):
        """Run the startup hooks of this app and of its mounted apps."""
        self._compile()
        for result in self.plugins.hook.plugdot_startup(app=self):
            if isawaitable(result):
                await result
        for _, sub in self.router.mounts:
            await sub.startup()

    async def stopping(self):
        """The server begins a graceful shutdown: run the ``plugdot_stopping``
        hooks of this app and of its mounted apps (servers call this)."""
        for result in self.plugins.hook.plugdot_stopping(app=self):
            if isawaitable(result):
                await result
        for _, sub in self.router.mounts:
            stopping = getattr(sub, 'stopping', None)  # a mounted StaticFiles has none
            if stopping is not None:
                await stopping()

    async def shutdown(self):
        """Run the shutdown hooks of this app and of its mounted apps."""
        for _, sub in self.router.mounts:
            await sub.shutdown()
        for result in self.plugins.hook.plugdot_shutdown(app=self):
            if isawaitable(result):
                await result

    # -- the pipeline ------------------------------------------------------
    async def dispatch(self, request, mounted=False):
        """Turn *request* into a Response: every stage but sending.

        *mounted* is true inside a parent app: then only this app's own
        hooks run (the parent's plugins already ran around it) and an error
        none of them handles goes up to the parent.
        """
        # One coroutine for every stage up to the response (not a method
        # per stage): each coroutine in the chain is heap on a board.
        # (Locals rather than request attributes where the value is at hand:
        # Request has a __getattr__, so each attribute read takes the slow path.)
        plan = self._plan or self._compile()
        try:
            if not mounted:
                has_body = _scan_headers(request, plan['max_header_count'],
                                         plan['max_header_size'])
            else:
                has_body = request.has_body
            error = response = None
            try:
                if plan['builtin_resolve']:  # the compiled plan: only the router resolves
                    route, args = self.router.resolve(request.method, request.route_path)
                else:
                    found = await first_result(plan['resolve'], request)
                    if found is None:
                        raise HTTPError(404)
                    route, args = found
                request.route = route
                request.path_args = args
            except HTTPError as exc:
                error = exc
                request.path_args = args = {}
                route = request.route
            # The body is read before the before-request functions, so that they
            # can read request.form / json (a CSRF check), as in both peers; the
            # size limits still apply (413 before reading when declared too large).
            if error is None and has_body and not route.stream:
                found = await first_result(plan['parse_body'], request, request.content_type) \
                    if plan['parse_body'] else None
                if found is not None:  # what the reader parsed: kept as the request's
                    request._body_loaded = True
                    if request._body is None:
                        request._body = b''
                    if 'form' in found:
                        request.form = found['form']
                    if 'files' in found:
                        request.files = request._files = found['files']
                    if found.get('json') is not None:
                        request.json = found['json']
                elif plan['read_body']:  # the built-in reader, without its hook's frame
                    await request.load_body(request.app.config['max_body_size'])
                args = request.path_args  # (as after every hook: it may set them)
            before = plan['local_before'] if mounted else plan['before']
            if before:
                found = await first_result(before, request)
                if found is not None:
                    response = await self.make_response(request, found)
                args = request.path_args
            if response is None:
                if error is not None:
                    raise error
                kind = route.kind
                if kind == 'async':
                    found = await (route.fn(request, **args) if args else route.fn(request))
                elif kind == 'class':  # a method of an App subclass (plugdot._class_routes)
                    found = await route.call(request)
                elif kind == 'thread':
                    found = await run_sync(route.fn, request, **args)
                else:  # called on the loop; on MicroPython, a coroutine or a generator
                    found = route.fn(request, **args)
                    if isawaitable(found):
                        found = await settle(found)
                try:
                    if plan['builtin_make_response']:
                        response = to_response(found)
                    else:
                        response = await self.make_response(request, found)
                except TypeError as exc:
                    raise TypeError('handler %s %s' % (route.name, exc))
        except Exception as exc:
            response = await self._error_response(plan, request, exc, mounted)
        # The after-request hooks, then what plugins queued with
        # request.after_this_request (not inside a mounted app: its parent's
        # dispatch runs those); each function may replace the response.
        # (A while loop, not `for stage in (0, 1)`: on MicroPython a for loop
        # keeps its iterator in the frame, heap held while the handler runs;
        # no stage counter either: one local less.)
        after = plan['local_after'] if mounted else plan['after']
        while True:
            if after:
                try:
                    for fn in after:
                        found = fn(request, response)
                        if isawaitable(found):
                            found = await found
                        if found is not None:
                            response = found
                except Exception as exc:
                    response = await self._error_response(plan, request, exc, mounted)
            # read now: an after-request function may have queued one
            if request._after_this is None or mounted or after is request._after_this:
                return response
            after = request._after_this

    async def make_response(self, request, value):
        """Convert a handler's return value through ``plugdot_make_response``."""
        plan = self._plan or self._compile()
        response = await first_result(plan['make_response'], request, value)
        if response is not None:
            return response
        raise TypeError('no plugin could convert %r to a response' % type(value).__name__)

    async def _error_response(self, plan, request, error, mounted):
        if isinstance(error, MissingKey):  # request.form['x'] the client did not send
            error = HTTPError(400, 'Missing %r' % error.args[0])
        handlers = plan['local_errors'] if mounted else plan['handle_error']
        try:
            value = await first_result(handlers, request, error)
            if value is not None:
                return await self.make_response(request, value)
        except Exception as exc:
            if mounted:
                raise
            log_exception('An error handler failed', exc)
            return plugdot_handle_error(request, exc)
        if mounted:
            raise error
        return plugdot_handle_error(request, error)

    # -- serving ----------------------------------------------------------
    def run(self, host=None, port=8000, server=None, debug=None):
        """Serve the app (hypercorn on CPython, on 127.0.0.1 by default; the
        mpy-server on a board, on 0.0.0.0). On CPython ``debug=True`` sets the
        ``debug`` setting (tracebacks in 500 responses, as Flask's and
        Starlette's debug mode); on a board it is Microdot's meaning, the
        console's diagnostics, which the board prints anyway: the tracebacks of
        a board serving its network stay off its clients (docs/configuration.md).
        Ignored while ``plugdot run`` or ``plugdot bundle`` loads the app (which
        then serve or bundle it), so that an app ending with a module-level
        ``app.run()`` works with both."""
        if MICROPYTHON:  # a board serves its network, with the only server it has
            from plugdot_mpy_server import serve
            return serve(self, host or '0.0.0.0', port)
        if debug is not None:
            self.config['debug'] = bool(debug)
        if environ()('PLUGDOT_LOADING_APP'):
            return
        from .serve import serve
        serve(self, host or '127.0.0.1', port, server)
