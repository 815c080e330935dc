"""The ASGI ``lifespan`` scope for an app that is not a plugdot App.

A plugdot App's startup and shutdown are awaited by the server itself
(:meth:`~plugdot_mpy_server.server.Server.start`); only another ASGI app
needs this task and its closures, so they are a module of their own,
imported by the server on first use: on a board serving a plugdot App this
code is never loaded (no heap for it), as the chunked decoder is not until
a client sends a chunked body.
"""
import asyncio


def lifespan(app):
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
