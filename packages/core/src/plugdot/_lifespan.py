"""The ASGI ``lifespan`` scope of an :class:`~plugdot.app.App`: its
``startup()`` and ``shutdown()`` when the server says so. A module of its
own, loaded by the first lifespan call: a server that knows a plugdot App
(plugdot-mpy-server) calls them itself, and on a board code is heap."""
from ._compat import log_exception, log_line


async def run(app, receive, send):
    """Answer the lifespan messages of *receive* for *app* through *send*."""
    while True:
        phase = (await receive())['type'].rpartition('.')[2]  # startup / shutdown
        try:
            await (app.startup() if phase == 'startup' else app.shutdown())
        except Exception as exc:
            # One line unless debug is on: a plugin refusing to start (no
            # database, a missing setting) says why; its traceback is noise.
            if app.config.get('debug'):
                log_exception('Lifespan %s failed' % phase, exc)
            else:
                log_line('Lifespan %s failed: %s: %s' % (phase, type(exc).__name__, exc))
            await send({'type': 'lifespan.%s.failed' % phase,
                        'message': '%s: %s' % (type(exc).__name__, exc)})
            return
        await send({'type': 'lifespan.%s.complete' % phase})
        if phase == 'shutdown':
            return
