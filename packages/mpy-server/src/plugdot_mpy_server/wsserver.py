"""The WebSocket side of the server: an upgraded connection presented to the
app as an ASGI ``websocket`` scope (RFC 6455 framing in :mod:`.wsproto`)."""
import asyncio

from .protocol import ProtocolError, error_response, response_head
from .server import ASGI, _deadline, _due, _left, request_target
from .wsproto import (BINARY, PING, PONG, TEXT, NEED_DATA, FrameParser, WSProtocolError,
                      accept_key, close_frame, frame, handshake_problem, subprotocols)


class WebSocketSession:
    """One upgraded connection: the handshake, then frames both ways."""

    # States as class-level defaults: an instance stores only what changed,
    # which is heap held for as long as the WebSocket is open.
    connected = False   # websocket.connect delivered
    accepted = False
    close_sent = False
    close_received = False
    refused = False
    pinged = False      # a ping is out, unanswered

    def __init__(self, conn, request, scope):
        self.conn = conn
        self.request = request
        self.scope = scope
        self.parser = FrameParser(conn.limits.max_ws_message)
        self.parser.buffer = conn.parser.buffer  # bytes the client sent after its head
        conn.parser.buffer = b''
        self.active()

    def active(self):
        """A message went one way or the other: the idle timeout starts again."""
        self.idle_deadline = _deadline(self.conn.limits.ws_idle_timeout)

    async def run(self):
        """Run the app on the connection; the connection is closed afterwards."""
        problem = handshake_problem(self.request)
        if problem is not None:
            status, headers = problem
            await self.conn._write(response_head(status, headers + [(b'content-length', b'0')],
                                                 False, False))
            return
        try:
            await self.conn.server.app(self.scope, self.receive, self.send)
        except Exception:
            if self.accepted and not self.close_sent:
                await self._close(1011, '')
            elif not self.accepted and not self.refused:
                await self.conn._write(error_response(500))
            return
        if not self.accepted:
            if not self.refused:
                await self.conn._write(error_response(403))
        elif not self.close_sent:
            await self._close(1000, '')

    async def _close(self, code, reason):
        self.close_sent = True
        try:
            await self.conn._write(close_frame(code, reason))
        except OSError:
            return
        if self.close_received:
            return
        try:  # wait for the client's close frame, briefly
            await asyncio.wait_for(self._drain_until_close(), self.conn.limits.ws_close_timeout)
        except Exception:
            pass

    async def _drain_until_close(self):
        while not self.close_received:
            event = await self._next()
            if event[0] == 'close':
                return

    async def _next(self):
        limits = self.conn.limits
        while True:
            event = self.parser.next_event()
            if event is not NEED_DATA:
                self.pinged = False  # any frame shows the client is there
                return event
            # Silence is bounded: after ws_ping_interval the client is pinged
            # and has ws_ping_timeout to send anything; with no message either
            # way for ws_idle_timeout the WebSocket is closed (1001).
            # The read is awaited here, not through conn._read: an open
            # WebSocket waits in this frame, and each frame more is heap.
            conn = self.conn
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
                await conn._write(frame(PING, b'plugdot'))
                continue
            if not data:
                raise OSError('connection lost')
            self.parser.feed(data)

    async def receive(self):
        """ASGI receive for the websocket scope."""
        if not self.connected:
            self.connected = True
            return {'type': 'websocket.connect'}
        while True:
            if self.close_received or self.close_sent:
                return {'type': 'websocket.disconnect', 'code': 1000}
            try:
                event = await self._next()
            except WSProtocolError as exc:
                await self._close(exc.code, exc.reason)
                return {'type': 'websocket.disconnect', 'code': exc.code}
            except MemoryError:  # the board ran out of heap: drop this connection only
                self.parser.buffer = b''
                self.close_received = True  # read nothing more from this client
                import gc
                gc.collect()
                await self._close(1011, 'out of memory')
                return {'type': 'websocket.disconnect', 'code': 1011}
            except OSError:
                self.close_received = True
                return {'type': 'websocket.disconnect', 'code': 1006}
            kind = event[0]
            if kind == 'text':
                self.active()
                return {'type': 'websocket.receive', 'text': event[1]}
            if kind == 'binary':
                self.active()
                return {'type': 'websocket.receive', 'bytes': event[1]}
            if kind == 'ping':
                await self.conn._write(frame(PONG, event[1]))
            elif kind == 'close':
                self.close_received = True
                if not self.close_sent:
                    self.close_sent = True
                    await self.conn._write(close_frame(event[1] if event[1] != 1005 else None))
                return {'type': 'websocket.disconnect', 'code': event[1], 'reason': event[2]}

    async def send(self, message):
        """ASGI send for the websocket scope."""
        kind = message['type']
        if kind == 'websocket.accept':
            headers = [(b'upgrade', b'websocket'), (b'connection', b'Upgrade'),
                       (b'sec-websocket-accept', accept_key(self._key()))]
            if message.get('subprotocol'):
                headers.append((b'sec-websocket-protocol', message['subprotocol'].encode()))
            head = response_head(101, headers + list(message.get('headers') or ()), True, False)
            await self.conn._write(head)
            self.accepted = True
        elif kind == 'websocket.close':
            if not self.accepted:
                if not self.refused:  # else a denial response went out already
                    self.refused = True
                    await self.conn._write(error_response(403))
            elif not self.close_sent:
                await self._close(message.get('code', 1000), message.get('reason') or '')
        elif kind == 'websocket.http.response.start' and not self.accepted and not self.refused:
            # The denial-response extension: the client sees the app's real
            # status (404, 401, 500...) instead of a bare 403; the connection
            # closes after the body, so a body without Content-Length is framed.
            self.refused = True
            headers = list(message.get('headers') or ())
            await self.conn._write(response_head(message['status'], headers, False, False))
        elif kind == 'websocket.http.response.body' and self.refused and not self.accepted:
            await self.conn._write(message.get('body') or b'')
        elif kind == 'websocket.send':
            if self.close_sent:
                raise OSError('websocket is closed')
            self.active()
            text = message.get('text')
            if text is not None:
                data = frame(TEXT, text.encode())
            else:
                data = frame(BINARY, message.get('bytes') or b'')
            await self.conn._write(data)
        else:
            raise RuntimeError('unexpected ASGI message %r' % kind)

    def _key(self):
        for name, value in self.request.headers:
            if name == b'sec-websocket-key':
                return value
        return b''


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
    conn.addresses()
    scope = {
        'type': 'websocket', 'asgi': ASGI,
        'http_version': '1.1', 'scheme': 'wss' if conn.server.tls else 'ws', 'path': path,
        'raw_path': raw_path, 'query_string': query, 'root_path': '',
        'headers': request.headers, 'client': conn.peer, 'server': conn.local,
        'subprotocols': subprotocols(request), 'extensions': _EXTENSIONS,
    }
    server.websockets += 1
    try:
        await WebSocketSession(conn, request, scope).run()
    finally:
        server.websockets -= 1

