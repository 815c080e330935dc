"""plugdot-mpy-server: a small, hard-to-kill asyncio HTTP/1.1 server for any
ASGI app, on MicroPython and CPython.

``serve(app, host, port)`` blocks; ``await start(app, host, port)`` returns
the running :class:`Server` so that other tasks run beside it. Limits are a
:class:`Limits`. It is also a plugdot plugin (entry point ``mpy_server``):
``plugdot run --server mpy`` uses it. The server's modules load on first use
of these names, so that loading the plugin costs nothing.
"""
__version__ = '0.1.0'
__all__ = ['Limits', 'Server', 'serve', 'start', '__version__']


def __getattr__(name):
    if name == 'Limits':
        from .protocol import Limits
        return Limits
    if name == 'Server':
        from .server import Server
        return Server
    if name == 'serve':
        from .server import serve
        return serve
    if name == 'start':
        from .server import start
        return start
    raise AttributeError(name)


def plugdot_add_commands(subparsers):
    """Add ``plugdot bundle`` (CPython)."""
    from .bundle import add_command
    add_command(subparsers)


def plugdot_bundle_modules():
    """The server's modules in a MicroPython bundle (its WebSocket modules
    come with the websocket plugin)."""
    return ['plugdot_mpy_server.protocol', 'plugdot_mpy_server.chunked',
            'plugdot_mpy_server.lifespan', 'plugdot_mpy_server.server', 'plugdot_mpy_server']
