"""Hook tracing for debugging plugin order: every hook call of a request,
with the plugin that made it and what it answered (``plugdot plugins APP
--trace PATH``, ``plugdot run --trace``). CPython only."""
from ._compat import isawaitable

_WIDTH = 20


def trace(app, log=print):
    """Log each call of *app*'s request-path hooks with ``log(line)``:
    ``<hook> <plugin> -> <result>``, in call order. Stays on for the life
    of *app*; costs a function call per hook implementation."""
    pm = app.plugins
    implementations = pm.implementations

    def traced_implementations(name, skip=()):
        # every implementation, inert ones included (plugdot_inert_hooks):
        # the log shows that they answered None
        functions = implementations(name)
        owners = pm.owners(name)
        return tuple(_traced(name[8:], owner, fn, log)
                     for owner, fn in zip(owners, functions, strict=True))
    pm.implementations = traced_implementations
    app.replan()
    return app


def _describe(value):
    if value is None:
        return 'None'
    status = getattr(value, 'status', None)
    if isinstance(status, int):
        return '%s %d' % (type(value).__name__, status)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _traced(hook, owner, fn, log):
    head = '%-*s %-22s' % (_WIDTH, hook, owner)
    if hook == 'request':  # a wrapper: a generator the app drives
        def wrapper(*args):
            log('%s enters' % head)
            result = yield from fn(*args)
            log('%s leaves -> %s' % (head, 'replaced the response' if result is not None
                                     else 'kept the response'))
            return result
        return wrapper

    async def finish(value):
        try:
            value = await value
        except Exception as exc:
            log('%s raised %r' % (head, exc))
            raise
        log('%s -> %s' % (head, _describe(value)))
        return value

    def call(*args):
        try:
            value = fn(*args)
        except Exception as exc:
            log('%s raised %r' % (head, exc))
            raise
        if isawaitable(value):
            return finish(value)
        log('%s -> %s' % (head, _describe(value)))
        return value
    return call
