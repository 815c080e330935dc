"""The ends of a server's life that a board seldom reaches: the ASGI
``lifespan`` scope of an app that is not a plugdot App, and the shutdown.

A plugdot App's startup is awaited by the server itself
(:meth:`~plugdot_mpy_server.server.Server.start`); only another ASGI app
needs the lifespan task and its closures, and a board's server seldom stops.
So they are a module of their own, imported by the server on first use: on a
board serving a plugdot App this code holds no heap until the server stops,
as the chunked decoder holds none until a client sends a chunked body.
"""
import asyncio

from plugdot._compat import MICROPYTHON

from .server import _deadline, _due


def start(app):
    """The server's side of the ASGI ``lifespan`` scope of any ASGI app: one
    task runs the app's lifespan call for the server's whole life. Returns
    ``event(phase)``, which sends ``lifespan.<phase>`` and waits for the
    answer. One event serves both directions; whoever wakes checks its own
    condition (a set event wakes every waiter, even if it is cleared again
    before they run)."""
    # for the app, for the server, the app returned (no lifespan, or over), its task
    state = [None, None, False, None]
    wake = asyncio.Event()

    async def receive():
        while state[0] is None:
            wake.clear()
            await wake.wait()
        message, state[0] = state[0], None
        return message

    async def send(message):
        state[1] = message
        wake.set()

    async def run():
        try:
            await app({'type': 'lifespan', 'asgi': {'version': '3.0'}}, receive, send)
        except Exception:
            pass  # an app without lifespan support
        state[2] = True
        wake.set()

    async def event(phase):
        if state[2]:
            return
        state[0] = {'type': 'lifespan.' + phase}
        wake.set()
        while state[1] is None and not state[2]:
            wake.clear()
            await wake.wait()
        reply, state[1] = state[1], None
        if reply is not None and reply['type'].endswith('.failed'):
            raise RuntimeError('lifespan %s failed: %s' % (phase, reply.get('message', '')))

    state[3] = asyncio.create_task(run())  # held, so that it is not garbage-collected
    return event


async def stop(server):
    """What :meth:`Server.stop <plugdot_mpy_server.server.Server.stop>` does."""
    server.closing = True
    if server.listener is not None:
        if MICROPYTHON:  # the accept loop first: it waits on the socket
            server.accepting.cancel()
        server.listener.close()
    stopping = getattr(server.app, 'stopping', None)
    if stopping is not None:  # a plugdot App: end event streams first
        try:
            await stopping()
        except Exception:
            pass
    deadline = _deadline(server.limits.shutdown_timeout)
    while True:
        late = _due(deadline)
        for conn in list(server.connections):
            # Idle ones at once, the others at the deadline. (On a board
            # they end at their own deadlines, as they did with asyncio's
            # streams, whose close() does nothing there.)
            if not MICROPYTHON and (conn.idle or late):
                try:
                    conn.writer.close()
                except Exception:
                    pass
        if late or not server.connections:
            break
        await asyncio.sleep(0.02)
    if server._watchdog is not None:
        server._watchdog.cancel()
    lifespan = server._lifespan
    if stopping is None:  # any other ASGI app
        if lifespan is None:
            lifespan = server._lifespan = start(server.app)
        await lifespan('shutdown')
    elif lifespan:  # a plugdot App after a startup that succeeded: once
        server._lifespan = False
        try:
            await server.app.shutdown()
        except Exception as exc:
            raise RuntimeError('lifespan shutdown failed: %s: %s' % (type(exc).__name__, exc))
