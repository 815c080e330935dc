"""The per-app plugin behind ``@app.before_request``, ``@app.after_request``,
``@app.errorhandler``, ``@app.on_startup`` / ``@app.on_shutdown`` and
middleware objects.

It is loaded and registered in the app's plugin manager the first time one
of them is used, so an app without them pays nothing on the request path
(nor, on a board, the heap of this module). Functions
run in the order they were added; ``after_request`` functions and middleware
``after_request`` methods run in reverse (the onion model).
"""
from ._compat import call_problem, isawaitable, log_exception
from .errors import HTTPError


async def _maybe_await(value):
    if isawaitable(value):
        value = await value
    return value


#: Error handler keys that take any exception.
_CATCH_ALL = (500, Exception, BaseException)


class AppHooks:
    """Ordered lists of the app's own hook functions, as one plugin."""

    def __init__(self):
        self.before = []
        self.after = []
        self.paired = {}  # a middleware's after_request -> the index of its before_request
        self._ran = 'plugdot_ran_%x' % id(self)  # request attribute: befores called so far
        self.startup = []
        self.shutdown = []
        self.error_handlers = []  # [(status or exception class, function)]

    async def plugdot_before_request(self, request):
        """Run the before-request functions; the first non-None result answers."""
        ran = 0
        try:
            for fn in self.before:
                ran += 1
                value = await _maybe_await(fn(request))
                if value is not None:
                    return value
            return None
        finally:
            setattr(request, self._ran, ran)

    async def plugdot_after_request(self, request, response):
        """Run the after-request functions in reverse; each may replace the
        response. A middleware's ``after_request`` runs only if its
        ``before_request`` ran (the onion model): not when an earlier
        before-request function answered, nor for an error raised before."""
        replaced = None
        ran = getattr(request, self._ran, 0) if self.paired else 0
        for fn in reversed(self.after):
            index = self.paired.get(fn)
            if index is not None and index >= ran:
                continue
            result = await _maybe_await(fn(request, replaced or response))
            if result is not None:
                replaced = await request.app.make_response(request, result)
        return replaced

    async def plugdot_handle_error(self, request, error):
        """Answer *error* with the most specific registered handler; an
        unexpected exception taken by a catch-all (``500``, ``Exception``)
        is still logged with its traceback, as without the handler."""
        fn, key = self.find_error_handler(error)
        if fn is None:
            return None
        if key in _CATCH_ALL and not isinstance(error, HTTPError):
            log_exception('Error while handling %s %s' % (request.method, request.path), error)
        return await _maybe_await(fn(request, error))

    def find_error_handler(self, error):
        """``(handler, key)`` for *error*: by status for an HTTPError (or an
        HTTPError class, never a catch-all such as ``Exception``: an
        ``abort(403)`` stays a 403, as in Microdot), else by the closest
        class in the exception's ancestry, else the ``500`` handler."""
        http = isinstance(error, HTTPError)
        if http:
            for key, fn in self.error_handlers:
                if key == error.status:
                    return fn, key
        classes = [type(error)]
        while classes:
            for cls in classes:
                if http and cls in _CATCH_ALL:
                    continue
                for key, fn in self.error_handlers:
                    if key is cls:
                        return fn, key
            classes = [b for c in classes for b in getattr(c, '__bases__', ())]
        if not http:  # unhandled: what a 500 handler is for
            for key, fn in self.error_handlers:
                if key == 500:
                    return fn, key
        return None, None

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
    if call_problem(fn, (), 2) is None:
        return fn
    if call_problem(fn, (), 1) is None:
        return lambda request, error: fn(request)
    name = getattr(fn, '__name__', 'handler')
    raise TypeError('error handler %s must take (request, error) or (request): write '
                    'def %s(request, error)' % (name, name))
