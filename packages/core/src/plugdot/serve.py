"""Serve an app: hypercorn on CPython (the ``plugdot[server]`` extra) or
plugdot's own mpy-server (``plugdot-mpy-server``, also on MicroPython)."""


class ServerMissing(Exception):
    """The chosen server is not installed; the message says what to install."""


def serve(app, host='127.0.0.1', port=8000, server=None):
    """Serve *app* on *host*:*port* until interrupted.

    *server* is ``'hypercorn'``, ``'mpy'`` or None for the first available.
    """
    if server in (None, 'hypercorn'):
        try:
            import hypercorn  # noqa: F401
        except ImportError:
            if server == 'hypercorn':
                raise ServerMissing("the hypercorn server is not installed: "
                                    'pip install hypercorn (the plugdot[server] extra)')
        else:
            return _serve_hypercorn(app, host, port)
    try:
        from plugdot_mpy_server import serve as mpy_serve
    except ImportError:
        raise ServerMissing('no server is installed: pip install hypercorn (the plugdot[server] '
                            'extra), or install plugdot-mpy-server')
    return mpy_serve(app, host, port)


def _serve_hypercorn(app, host, port):
    import asyncio
    from hypercorn.asyncio import serve as hyper_serve
    from hypercorn.config import Config
    config = Config()
    config.bind = ['%s:%d' % (host, port)]
    config.accesslog = '-'
    line = 'plugdot: serving on http://%s:%d (hypercorn, Ctrl+C to stop)' % (host, port)
    try:
        asyncio.run(_hypercorn_until_signal(app, _announce_when_started(app, line), config,
                                            hyper_serve))
    except KeyboardInterrupt:
        pass


async def _hypercorn_until_signal(app, asgi, config, hyper_serve):
    # hypercorn waits for every open connection before the lifespan
    # shutdown; the app is told first (App.stopping), so that endless
    # responses (event streams) end and the server can stop.
    import asyncio
    import signal
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C raises KeyboardInterrupt
            pass

    async def trigger():
        await stop.wait()
        stopping = getattr(app, 'stopping', None)
        if stopping is not None:
            try:
                await stopping()
            except Exception as exc:  # the server still stops (as the mpy-server does)
                from ._compat import log_exception
                log_exception('App.stopping() failed', exc)
    await hyper_serve(asgi, config, shutdown_trigger=trigger)


def _announce_when_started(app, line):
    # "serving on" only once the app's startup succeeded, never before a failure.
    async def announcing(scope, receive, send):
        if scope['type'] != 'lifespan':
            return await app(scope, receive, send)

        async def send_and_announce(message):
            await send(message)
            if message['type'] == 'lifespan.startup.complete':
                print(line, flush=True)
        return await app(scope, receive, send_and_announce)
    return announcing
