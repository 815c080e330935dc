"""plugdot-websocket: WebSocket routes for plugdot apps.

Decorate a route with :func:`with_websocket` (the handler gets
``(request, ws)``), or call ``await websocket_accept(request)`` inside an
ordinary route after your own checks. The plugin takes the ASGI
``websocket`` scope (``plugdot_asgi_scope``) and runs it through the app's
normal pipeline, so routing, ``before_request`` (authentication) and error
handlers apply. Portable: the same code runs under the mpy-server.
"""
from plugdot import HTTPError, Request, Response
from plugdot._compat import MICROPYTHON, latin1
from plugdot.routing import needs_plugin

__version__ = '0.1.0'
__all__ = ['Broadcast', 'ConnectionClosed', 'WebSocket', 'websocket_accept', 'with_websocket',
           '__version__']

if MICROPYTHON:
    # On a board the WebSocket code loads with the plugin: loaded by the
    # first WebSocket, it would land among that connection's objects and
    # fragment the small heap (a larger heap is needed, bench/README.md).
    from .websocket import WebSocket  # noqa: F401
    try:  # the server's side, when the mpy-server serves the app
        from plugdot_mpy_server.wsserver import upgrade  # noqa: F401
    except ImportError:
        pass


def __getattr__(name):
    # Loaded on first use: an app without WebSocket routes never imports them.
    if name == 'Broadcast':
        from .broadcast import Broadcast
        return Broadcast
    if name in ('ConnectionClosed', 'WebSocket'):
        from . import websocket
        return getattr(websocket, name)
    raise AttributeError(name)


def plugdot_settings():
    """The WebSocket settings (see docs/websocket.md)."""
    return {
        'websocket_max_message_size': (1024 * 1024, 'Largest message accepted, in bytes '
                                                    '(closes with 1009 past it).'),
        'websocket_idle_timeout': (0.0, 'Seconds receive() waits before closing with 1001 '
                                      '(0: forever).'),
        'websocket_allowed_origins': ([], 'Origins allowed to connect (empty: any; a page on '
                                          'another site can connect unless you list yours).'),
    }


def origin_check(app):
    """Decorator: ``@origin_check(app)`` registers ``fn(request, origin)``
    that returns True to allow a connection (replaces the origin list)."""
    def register(fn):
        app._plugdot_origin_check = fn
        return fn
    return register


async def websocket_accept(request, subprotocols=None):
    """Accept the WebSocket of *request* and return the :class:`WebSocket`.

    *subprotocols* lists those the handler speaks, in preference order; the
    first one the client offered is chosen. An HTTP request (not an
    upgrade) raises a 426 HTTPError; a refused origin a 403.
    """
    scope = request.scope
    if scope.get('type') != 'websocket':
        raise HTTPError(426, 'This URL speaks WebSocket', headers={'Upgrade': 'websocket'})
    origin = None
    for name, value in scope['headers']:  # not request.headers: a decoded copy of every
        if name == b'origin':              # header, held while the socket is open
            origin = latin1(value)
            break
    app = request.app
    check = getattr(app, '_plugdot_origin_check', None)
    if check is not None:
        allowed = check(request, origin)
    else:
        allowed = app.config.get('websocket_allowed_origins')
        allowed = not allowed or origin is None or origin in allowed
    if not allowed:
        raise HTTPError(403, 'Origin not allowed')
    message = await request.receive()
    if message['type'] != 'websocket.connect':
        raise HTTPError(400, 'Expected websocket.connect')
    offered = scope.get('subprotocols') or []
    chosen = None
    for name in subprotocols or ():
        if name in offered:
            chosen = name
            break
    accept = {'type': 'websocket.accept'}
    if chosen is not None:
        accept['subprotocol'] = chosen
    send = scope['plugdot.send']
    await send(accept)
    from .websocket import WebSocket
    ws = scope['plugdot.websocket'] = WebSocket(request, send, chosen)
    return ws


def with_websocket(handler=None, subprotocols=None):
    """Make a route a WebSocket endpoint. Decorator style: the handler is
    called as ``handler(request, ws, **path_args)``; class style (a method
    of an ``App`` subclass): as ``method(self, ws, *path_segments)``, with
    ``self.request`` as usual. Use as ``@with_websocket`` or
    ``@with_websocket(subprotocols=['chat.v1'])`` below the route decorator."""
    def decorator(fn):
        async def endpoint(first, *args, **kwargs):  # first: the request, or self (class style)
            request = first if isinstance(first, Request) else first.request
            ws = await websocket_accept(request, subprotocols)
            from .websocket import ConnectionClosed
            try:
                await fn(first, ws, *args, **kwargs)
            except ConnectionClosed:
                pass
            except Exception:
                await ws.close(1011, 'internal error')
                raise
            await ws.close(1000)
            return Response(b'', 204)
        try:
            endpoint.__name__ = fn.__name__  # for `plugdot routes`; MicroPython cannot
        except AttributeError:
            pass
        return needs_plugin(endpoint, 'websocket', 'plugdot_websocket')
    return decorator(handler) if handler is not None else decorator


async def plugdot_asgi_scope(app, scope, receive, send):
    """Take ``websocket`` scopes: run them through the app's pipeline as a
    GET request whose handler accepts the WebSocket."""
    if scope['type'] != 'websocket':
        return None
    # The scope itself, not a copy: a copy would be held as long as the
    # WebSocket is open (ASGI lets an app add keys to its scope).
    scope['method'] = 'GET'
    scope['plugdot.send'] = send
    request = Request(app, scope, receive)
    response = await app.dispatch(request)
    ws = scope.get('plugdot.websocket')
    if ws is not None:
        if not ws.closed:  # websocket_accept() in a handler that just returned
            await ws.close(1000 if response.status < 500 else 1011)
    else:
        # Refused before accepting (no route, auth, origin, an error): with
        # the http.response extension the client sees the real status. A
        # route that answered 2xx without accepting speaks plain HTTP: 403,
        # as for a handshake refused before accept without the extension.
        if 200 <= response.status < 300:
            response = Response('This URL does not speak WebSocket', 403)
        if 'websocket.http.response' in (scope.get('extensions') or {}):
            body = response.body
            body = body if isinstance(body, bytes) else str(body).encode()
            await send({'type': 'websocket.http.response.start', 'status': response.status,
                        'headers': response._raw_headers(len(body))})
            await send({'type': 'websocket.http.response.body', 'body': body})
        else:
            await send({'type': 'websocket.close', 'code': 1008})
    return True


def plugdot_bundle_modules():
    """The portable modules of this plugin, and the mpy-server's WebSocket
    protocol, which only apps using WebSocket need on a board."""
    return ['plugdot_websocket', 'plugdot_websocket.websocket', 'plugdot_websocket.broadcast',
            'plugdot_mpy_server.wsserver']
