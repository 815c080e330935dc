"""The per-app plugin behind ``@app.before_request``, ``@app.after_request``,
``@app.errorhandler``, ``@app.on_startup`` / ``@app.on_shutdown`` and
middleware objects.

It is registered in the app's plugin manager the first time one of them is
used, so an app without them pays nothing on the request path. Functions
run in the order they were added; ``after_request`` functions and middleware
``after_request`` methods run in reverse (the onion model).
"""
from ._compat import accepts_positional, isawaitable
from .errors import HTTPError


async def _maybe_await(value):
    if isawaitable(value):
        value = await value
    return value


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


class AppHooks:
    """Ordered lists of the app's own hook functions, as one plugin."""

    def __init__(self):
        self.before = []
        self.after = []
        self.startup = []
        self.shutdown = []
        self.error_handlers = []  # [(status or exception class, function)]

    async def plugdot_before_request(self, request):
        """Run the before-request functions; the first non-None result answers."""
        return await first_result(self.before, request)

    async def plugdot_after_request(self, request, response):
        """Run the after-request functions in reverse; each may replace the response."""
        replaced = None
        for fn in reversed(self.after):
            result = await _maybe_await(fn(request, replaced or response))
            if result is not None:
                replaced = await request.app.make_response(request, result)
        return replaced

    async def plugdot_handle_error(self, request, error):
        """Answer *error* with the most specific registered handler."""
        fn = self.find_error_handler(error)
        if fn is None:
            return None
        return await _maybe_await(fn(request, error))

    def find_error_handler(self, error):
        """The handler for *error*: by status for HTTPError, else by the
        closest class in the exception's ancestry."""
        if isinstance(error, HTTPError):
            for key, fn in self.error_handlers:
                if key == error.status:
                    return fn
        classes = [type(error)]
        while classes:
            for cls in classes:
                for key, fn in self.error_handlers:
                    if key is cls:
                        return fn
            classes = [b for c in classes for b in getattr(c, '__bases__', ())]
        if not isinstance(error, HTTPError):  # unhandled: what a 500 handler is for
            for key, fn in self.error_handlers:
                if key == 500:
                    return fn
        return None

    async def plugdot_startup(self, app):
        """Run the startup functions in order."""
        for fn in self.startup:
            await _maybe_await(fn())

    async def plugdot_shutdown(self, app):
        """Run the shutdown functions in order."""
        for fn in self.shutdown:
            await _maybe_await(fn())


def error_handler_call(fn):
    """*fn* as ``fn(request, error)``: an error handler written Microdot's
    way, ``fn(request)``, is wrapped; one that can take neither is refused
    here, when it is registered (on CPython, where it can be inspected)."""
    takes = accepts_positional(fn)
    if takes is None or takes >= 2:
        return fn
    if takes == 1:
        return lambda request, error: fn(request)
    raise TypeError('error handler %s must take (request, error) or (request): write '
                    'def %s(request, error)' % (fn.__name__, fn.__name__))


def middleware_functions(middleware):
    """The ``before_request`` / ``after_request`` callables of a middleware
    object (either may be missing)."""
    return getattr(middleware, 'before_request', None), getattr(middleware, 'after_request', None)
