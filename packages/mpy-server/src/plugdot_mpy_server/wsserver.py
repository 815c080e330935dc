"""The WebSocket side of the server: an upgraded connection presented to the
app as an ASGI ``websocket`` scope (RFC 6455 framing in :mod:`.wsproto`).

An open WebSocket holds every frame between the connection's task and the
read it waits on, for as long as it is open: so the upgrade runs the app in
its own frame and ``receive`` reads the socket itself (no helper frames).
"""
import asyncio
import gc

from plugdot._compat import MICROPYTHON

from .protocol import ProtocolError, error_response, response_head
from .server import ASGI, _deadline, _due, _left, request_target
from .wsproto import (NEED_DATA, FrameParser, WSProtocolError, accept_key, close_frame, frame,
                      handshake_problem, header)


class WebSocketSession(FrameParser):
    """One upgraded connection: ASGI ``receive`` and ``send``, frames both
    ways. It is its own frame parser: one object less per open WebSocket."""

    # States as class-level defaults: an instance stores only what changed,
    # which is heap held for as long as the WebSocket is open.
    connected = False   # websocket.connect delivered
    accepted = False
    close_sent = False
    close_received = False
    refused = False
    pinged = False      # a ping is out, unanswered

    def __init__(self, conn, request):
        self.conn = conn
        self.request = request
        self.max_message_size = conn.limits.max_ws_message
        self.buffer = conn.buffer  # bytes the client sent after its head
        conn.buffer = b''
        self.idle_deadline = _deadline(conn.limits.ws_idle_timeout)

    async def _close(self, code, reason):
        self.close_sent = True
        try:
            await self.conn._write(close_frame(code, reason))
        except OSError:
            return
        if self.close_received:
            return
        try:  # wait for the client's close frame, briefly
            await asyncio.wait_for(self.receive(True), self.conn.limits.ws_close_timeout)
        except Exception:
            pass

    async def receive(self, draining=False):
        """ASGI receive for the websocket scope. (*draining*: our close frame
        is out; read until the client's, answering nothing.)"""
        if not self.connected and not draining:
            self.connected = True
            return {'type': 'websocket.connect'}
        conn = self.conn
        limits = conn.limits
        while True:
            if not draining and (self.close_received or self.close_sent):
                return {'type': 'websocket.disconnect', 'code': 1000}
            try:
                event = self.next_event()
                if event is NEED_DATA:
                    # Silence is bounded: after ws_ping_interval the client is
                    # pinged and has ws_ping_timeout to send anything; with no
                    # message either way for ws_idle_timeout the WebSocket is
                    # closed (1001). The read is awaited here, not through
                    # conn._read: each frame more is heap while it is open.
                    wait = limits.ws_ping_timeout if self.pinged else limits.ws_ping_interval
                    conn.deadline = _deadline(min(wait, max(0, _left(self.idle_deadline))))
                    try:
                        data = await conn.reader.read(limits.read_size)
                    except asyncio.CancelledError as exc:
                        conn._expired(exc)  # not ours: raised on
                        data = None
                    finally:
                        conn.deadline = None
                    if data is None:  # the deadline passed
                        if _due(self.idle_deadline):
                            raise WSProtocolError(1001, 'idle timeout')
                        if self.pinged:
                            raise WSProtocolError(1011, 'ping timeout')
                        self.pinged = True
                        await conn._write(frame(9, b'plugdot'))
                    elif not data:
                        raise OSError('connection lost')
                    else:
                        self.buffer += data
                    continue
            except WSProtocolError as exc:
                if draining:
                    raise
                await self._close(exc.code, exc.reason)
                return {'type': 'websocket.disconnect', 'code': exc.code}
            except MemoryError:  # the board ran out of heap: drop this connection only
                if draining:
                    raise
                self.buffer = b''
                self.close_received = True  # read nothing more from this client
                gc.collect()
                await self._close(1011, 'out of memory')
                return {'type': 'websocket.disconnect', 'code': 1011}
            except OSError:
                self.close_received = True
                if draining:
                    raise
                return {'type': 'websocket.disconnect', 'code': 1006}
            if self.pinged:  # any frame shows the client is there
                self.pinged = False
            kind = event[0]
            if kind == 'close':
                self.close_received = True
                if draining:
                    return None
                if not self.close_sent:
                    self.close_sent = True
                    await conn._write(close_frame(event[1] if event[1] != 1005 else None))
                return {'type': 'websocket.disconnect', 'code': event[1], 'reason': event[2]}
            if draining:
                continue
            if kind == 'text' or kind == 'binary':
                self.idle_deadline = _deadline(limits.ws_idle_timeout)
                return {'type': 'websocket.receive', kind if kind == 'text' else 'bytes': event[1]}
            if kind == 'ping':
                await conn._write(frame(10, event[1]))

    async def send(self, message):
        """ASGI send for the websocket scope."""
        kind = message['type']
        conn = self.conn
        if kind == 'websocket.send':
            if self.close_sent:
                raise OSError('websocket is closed')
            self.idle_deadline = _deadline(conn.limits.ws_idle_timeout)
            text = message.get('text')
            if text is not None:
                data = frame(1, text.encode())
            else:
                data = frame(2, message.get('bytes') or b'')
            await conn._write(data)
        elif kind == 'websocket.accept':
            headers = [(b'upgrade', b'websocket'), (b'connection', b'Upgrade'),
                       (b'sec-websocket-accept', accept_key(
                           header(self.request.headers, b'sec-websocket-key') or b''))]
            if message.get('subprotocol'):
                headers.append((b'sec-websocket-protocol', message['subprotocol'].encode()))
            await conn._write(response_head(101, headers + list(message.get('headers') or ()),
                                            True, False))
            self.accepted = True
        elif kind == 'websocket.close':
            if not self.accepted:
                if not self.refused:  # else a denial response went out already
                    self.refused = True
                    await conn._write(error_response(403))
            elif not self.close_sent:
                await self._close(message.get('code', 1000), message.get('reason') or '')
        elif kind == 'websocket.http.response.start' and not self.accepted and not self.refused:
            # The denial-response extension: the client sees the app's real
            # status (404, 401, 500...) instead of a bare 403; the connection
            # closes after the body, so a body without Content-Length is framed.
            self.refused = True
            await conn._write(response_head(message['status'], list(message.get('headers') or ()),
                                            False, False))
        elif kind == 'websocket.http.response.body' and self.refused and not self.accepted:
            await conn._write(message.get('body') or b'')
        else:
            raise RuntimeError('unexpected ASGI message %r' % kind)


_EXTENSIONS = {'websocket.http.response': {}}


async def upgrade(conn, request):
    """Serve the upgrade *request* on *conn* as an ASGI ``websocket`` scope
    (no ``Exchange``: nothing of the HTTP exchange is held while it is open)."""
    try:
        path, raw_path, query = request_target(request)
    except ProtocolError as exc:
        await conn._refuse(exc)
        return
    server = conn.server
    if server.websockets >= conn.limits.max_websockets:  # the rest is kept for plain HTTP
        await conn._refuse(ProtocolError(503, 'too many WebSockets open'))
        return
    problem = handshake_problem(request)
    if problem is not None:
        await conn._write(response_head(problem[0], problem[1] + [(b'content-length', b'0')],
                                        False, False))
        return
    conn.addresses()
    offered = header(request.headers, b'sec-websocket-protocol')
    ws = WebSocketSession(conn, request)
    server.websockets += 1
    try:
        try:  # the app runs in this frame: one frame less held while the socket is open
            await server.app({
                'type': 'websocket', 'asgi': ASGI,
                'http_version': '1.1', 'scheme': 'wss' if server.tls else 'ws', 'path': path,
                'raw_path': raw_path, 'query_string': query, 'root_path': '',
                'headers': request.headers, 'client': conn.peer, 'server': conn.local,
                'subprotocols': [p.strip().decode() for p in offered.split(b',') if p.strip()]
                if offered else (), 'extensions': _EXTENSIONS,
            }, ws.receive, ws.send)
        except Exception:
            if ws.accepted and not ws.close_sent:
                await ws._close(1011, '')
            elif not ws.accepted and not ws.refused:
                await conn._write(error_response(500))
            return
        if not ws.accepted:
            if not ws.refused:
                await conn._write(error_response(403))
        elif not ws.close_sent:
            await ws._close(1000, '')
    finally:
        server.websockets -= 1
        if MICROPYTHON:
            # What the WebSocket held is garbage now, spread across the heap:
            # collected at once, the next requests find large free blocks
            # rather than holes between it (a board's heap is small).
            gc.collect()
