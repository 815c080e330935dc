"""The WebSocket side of the server: an upgraded connection presented to the
app as an ASGI ``websocket`` scope, with RFC 6455 framing: the opening
handshake and a sans-IO frame parser (bytes in, events out) and serializer.
One module (on a board each module is heap): loaded with plugdot-websocket,
which only apps with WebSocket routes load.

An open WebSocket holds every frame between the connection's task and the
read it waits on, for as long as it is open: so the upgrade runs the app in
its own frame and ``receive`` reads the socket itself (no helper frames).

Frame rules enforced (a violation raises the server's ProtocolError with
the close code to send, ``ProtocolError(code, reason)``):

* client frames must be masked; RSV bits must be zero (no extensions) — 1002
* opcodes: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong — 1002
* control frames are not fragmented and carry at most 125 bytes — 1002
* a continuation needs a message in progress; a new data frame must not
  interrupt one — 1002
* a message larger than the limit — 1009
* text must be valid UTF-8 (checked when the message is complete) — 1007
* a close payload is empty or a valid code plus a UTF-8 reason — 1002/1007

Opcodes are plain numbers (1 text, 2 binary, 8 close, 9 ping, 10 pong): on
a board every module-level name is heap.
"""
import asyncio
import binascii
import gc
import hashlib

from plugdot._compat import MICROPYTHON, isawaitable, utf8

from .protocol import NEED_DATA, ProtocolError, error_response, response_head
from .server import ASGI, _deadline, _due, _left, request_target

if MICROPYTHON:
    from .server import _unstick

    def _readinto(stream, buf):
        # The server's _Stream.read(), into *buf* (a memoryview of a frame's
        # payload): the bytes go where they stay, with nothing allocated.
        # (Awaitable, as asyncio's own I/O: a generator.)
        while True:
            try:
                yield asyncio.core._io_queue.queue_read(stream.sock)
            except (MemoryError, OSError) as exc:
                yield from _unstick(stream.sock, exc)
                continue
            got = stream.sock.readinto(buf)
            if got is not None:
                return got


def accept_key(key):
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    return binascii.b2a_base64(hashlib.sha1(key + b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
                               .digest()).strip()


def header(headers, name):
    """The value of header *name* (lower-case bytes) in a list of pairs, or None."""
    for key, value in headers:
        if key == name:
            return value
    return None


def handshake_problem(request):
    """None if the upgrade request is valid, else ``(status, headers)``."""
    headers = request.headers
    connection = (header(headers, b'connection') or b'').lower()
    if request.method != 'GET' or request.version != '1.1' or b'upgrade' not in connection:
        return 400, []
    if header(headers, b'sec-websocket-version') != b'13':
        return 426, [(b'sec-websocket-version', b'13')]
    key = header(headers, b'sec-websocket-key')
    try:
        if key is None or len(binascii.a2b_base64(key)) != 16:
            return 400, []
    except ValueError:
        return 400, []
    return None


def frame_head(opcode, n):
    """The head of an unmasked (server) frame, final, of *n* payload bytes:
    the server never fragments."""
    first = 0x80 | opcode
    if n < 126:
        return bytes((first, n))
    if n < 65536:
        return bytes((first, 126, n >> 8, n & 255))
    return bytes((first, 127)) + n.to_bytes(8, 'big')


def frame(opcode, data=b''):
    """One unmasked (server) frame, final, head and payload in one piece."""
    return frame_head(opcode, len(data)) + data


def unmask(data, mask):
    """*data* (a bytearray) XORed with a client's 4-byte *mask*: on a board
    in place (*data* returned), on CPython a new bytes object."""
    n = len(data)
    if not MICROPYTHON:  # one big-integer XOR: the fastest in CPython
        return (int.from_bytes(data, 'big') ^ int.from_bytes(
            (mask * (n // 4 + 1))[:n], 'big')).to_bytes(n, 'big')
    # On a board, 64 bytes at a time: what it allocates is a few blocks of
    # 64 bytes, never a copy of the payload (a Python loop per byte allocates
    # nothing but is several times slower).
    key = mask * 16
    whole = int.from_bytes(key, 'big')
    view = memoryview(data)
    end = n - n % 64
    for i in range(0, end, 64):
        view[i:i + 64] = (int.from_bytes(view[i:i + 64], 'big') ^ whole).to_bytes(64, 'big')
    if end < n:
        n -= end
        view[end:] = (int.from_bytes(view[end:], 'big') ^ int.from_bytes(key[:n], 'big')
                      ).to_bytes(n, 'big')
    return data


def close_frame(code=1000, reason=''):
    """A close frame with *code* and *reason* (no payload for code None)."""
    if code is None:
        return frame(8)
    return frame(8, code.to_bytes(2, 'big') + reason.encode()[:123])


def _log(conn, request, status, text, ended=None):
    # An access-log line for a WebSocket upgrade, in the format of the HTTP
    # ones (Exchange.end): `127.0.0.1 - "GET /ws HTTP/1.1" 101 open`, then
    # `... 101 closed 1009 (message too big)` (*ended*: the code and why);
    # or the status it was refused with. Made only then: nothing on the
    # message path.
    if conn.server.access_log:
        try:
            if ended is not None:
                text = 'closed %d (%s)' % ended
            print('%s - "%s %s HTTP/%s" %d %s' % (
                conn.peer[0] if conn.peer else '-', request.method, request_target(request)[0],
                request.version, status, text))
        except Exception:  # a MemoryError on a full heap: the line is lost, not the socket
            pass


class FrameParser:
    """Turns the bytes from a client into messages and control events.

    ``next_event()`` returns NEED_DATA or an event that starts with its
    opcode: ``(1, str)`` (text), ``(2, bytes)`` (binary), ``(9, bytes)``
    (ping), ``(10, bytes)`` (pong) or ``(8, code, reason)`` (close). After
    NEED_DATA, ``need`` is how many more bytes the frame in progress needs
    (its head first, then the rest).

    Once a frame's head is in, its payload goes into one bytearray of its
    length (``payload``, ``got`` bytes of it filled): ``feed()`` copies into
    it, and a server can read into ``memoryview(payload)[got:]`` itself
    and add to ``got``. It is unmasked there, in place. So a message costs
    its size once while it arrives (plus the str or bytes it becomes), not
    a copy per read nor copies to unmask (issue: trial 14, defect 5).
    """

    # The state of a message in progress as class-level defaults: an idle
    # parser stores only its limit and buffer (heap held per open WebSocket).
    buffer = b''           # bytes of frame heads (and what came after one)
    message_opcode = None  # of the fragmented message in progress
    parts = None           # its fragments so far (one bytearray)
    size = 0               # their total size
    first = 0              # the first byte of the frame whose payload is read
    mask = None            # its mask
    payload = None         # its payload, a bytearray of its length
    got = 0                # how much of it is filled

    def __init__(self, max_message_size):
        self.max_message_size = max_message_size

    def feed(self, data):
        """Add bytes received from the client."""
        payload = self.payload
        if payload is not None:
            got = self.got
            n = min(len(data), len(payload) - got)
            if n:
                payload[got:got + n] = data if n == len(data) else data[:n]
                self.got = got + n
                data = data[n:]
            if not data:
                return
        self.buffer += data

    def next_event(self):
        """The next event, or NEED_DATA; raises ProtocolError(close code, reason)."""
        while True:
            payload = self.payload
            if payload is not None:  # a frame's payload is being read
                if self.got < len(payload):
                    self.need = len(payload) - self.got
                    return NEED_DATA
                first, mask = self.first, self.mask
                del self.first, self.mask, self.payload, self.got  # back to the defaults
            else:
                buf = self.buffer
                if len(buf) < 2:
                    self.need = 2 - len(buf)
                    return NEED_DATA
                first, second = buf[0], buf[1]
                if first & 0x70:
                    raise ProtocolError(1002, 'reserved bits set')
                opcode = first & 0x0F
                if opcode not in (0, 1, 2, 8, 9, 10):
                    raise ProtocolError(1002, 'unknown opcode')
                if not second & 0x80:
                    raise ProtocolError(1002, 'client frames must be masked')
                n = second & 0x7F
                at = 2
                if n == 126:
                    if len(buf) < 4:
                        self.need = 4 - len(buf)
                        return NEED_DATA
                    n, at = int.from_bytes(buf[2:4], 'big'), 4
                elif n == 127:
                    if len(buf) < 10:
                        self.need = 10 - len(buf)
                        return NEED_DATA
                    n, at = int.from_bytes(buf[2:10], 'big'), 10
                if len(buf) < at + 4:
                    # The mask, and a short payload with it (one read for a
                    # small frame); on a board a longer one is read into its
                    # own buffer.
                    self.need = at + 4 - len(buf) + (n if n < 126 or not MICROPYTHON else 0)
                    return NEED_DATA
                if opcode >= 8:
                    if not first & 0x80 or n > 125:
                        raise ProtocolError(1002, 'bad control frame')
                elif opcode == 0:
                    if self.message_opcode is None:
                        raise ProtocolError(1002, 'continuation without a message')
                elif self.message_opcode is not None:
                    raise ProtocolError(1002, 'new message inside a fragmented one')
                if opcode < 8 and self.size + n > self.max_message_size:
                    raise ProtocolError(1009, 'message too big')
                # Checked before the payload's buffer is made: a client gets
                # no more heap than the limit allows.
                mask = buf[at:at + 4]
                at += 4
                got = len(buf) - at
                if got >= n:  # the whole frame is here (a small one, or sent ahead)
                    # (unmask() takes a bytearray on a board, any bytes on CPython)
                    payload = bytearray(memoryview(buf)[at:at + n]) if MICROPYTHON else \
                        buf[at:at + n]
                    self.buffer = buf[at + n:]
                else:
                    payload = bytearray(n)
                    if got:
                        payload[:got] = memoryview(buf)[at:]
                    self.buffer = b''
                    self.first, self.mask, self.payload, self.got = first, mask, payload, got
                    self.need = n - got
                    return NEED_DATA
            if payload:
                payload = unmask(payload, mask)
            opcode = first & 0x0F
            if opcode == 9:
                return (9, bytes(payload))
            if opcode == 10:
                return (10, bytes(payload))
            if opcode == 8:
                if not payload:
                    return (8, 1005, '')
                if len(payload) == 1:
                    raise ProtocolError(1002, 'bad close payload')
                code = int.from_bytes(payload[:2], 'big')
                if code not in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011) and \
                        not 3000 <= code <= 4999:
                    raise ProtocolError(1002, 'bad close code')
                try:
                    return (8, code, utf8(payload[2:]))
                except UnicodeError:
                    raise ProtocolError(1007, 'close reason is not UTF-8')
            if not first & 0x80:  # a fragment: kept until the last one
                if self.message_opcode is None:
                    self.message_opcode = opcode
                    self.parts = payload if MICROPYTHON else bytearray(payload)
                else:
                    self.parts += payload  # in place: a bytearray
                self.size += len(payload)
                continue
            if self.message_opcode is not None:  # the last fragment
                opcode, parts = self.message_opcode, self.parts
                del self.message_opcode, self.parts, self.size  # back to the defaults
                parts += payload
                payload = parts
            if opcode == 1:
                try:
                    return (1, utf8(payload))
                except UnicodeError:
                    raise ProtocolError(1007, 'text is not UTF-8')
            return (2, bytes(payload))


class WebSocketSession(FrameParser):
    """One upgraded connection: ASGI ``receive`` and ``send``, frames both
    ways. It is its own frame parser: one object less per open WebSocket."""

    # States as class-level defaults: an instance stores only what changed,
    # which is heap held for as long as the WebSocket is open.
    connected = False   # websocket.connect delivered
    accepted = False
    close_sent = False
    close_received = False
    refused = 0         # the status of a refusal sent (403, or the app's denial response)
    pinged = False      # a ping is out, unanswered
    ended = None        # (close code, why) once it closes: the access log's last word

    def __init__(self, conn, request):
        self.conn = conn
        self.request = request
        self.max_message_size = conn.limits.max_ws_message
        self.buffer = conn.buffer  # bytes the client sent after its head
        conn.buffer = b''
        self.idle_deadline = _deadline(conn.limits.ws_idle_timeout)

    async def _close(self, code, reason, why=None):
        # Our close frame, then the client's, briefly. *why* goes in the
        # access log (the reason sent, if not given).
        self.close_sent = True
        if self.ended is None:
            self.ended = (code, why or reason)
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
                    # It asks for what the frame needs (read_size at most):
                    # a read allocates what it asks for, and a board's heap
                    # with a WebSocket open may have no 512-byte block free.
                    # (bench/README.md, "Issue 17, session 13")
                    wait = limits.ws_ping_timeout if self.pinged else limits.ws_ping_interval
                    conn.deadline = _deadline(min(wait, max(0, _left(self.idle_deadline))))
                    # On a board a payload is read straight into its buffer.
                    into = MICROPYTHON and self.payload is not None
                    try:
                        if into:
                            data = await _readinto(conn.reader,
                                                   memoryview(self.payload)[self.got:])
                        else:
                            data = await conn.reader.read(min(self.need, limits.read_size))
                    except asyncio.CancelledError as exc:
                        conn._expired(exc)  # not ours: raised on
                        data = None
                    finally:
                        conn.deadline = None
                    if data is None:  # the deadline passed
                        if _due(self.idle_deadline):
                            raise ProtocolError(1001, 'idle timeout')
                        if self.pinged:
                            raise ProtocolError(1011, 'ping timeout')
                        self.pinged = True
                        await conn._write(frame(9, b'plugdot'))
                    elif not data:
                        raise OSError('connection lost')
                    elif into:
                        self.got += data
                    else:
                        self.feed(data)
                    continue
            except ProtocolError as exc:  # (code, reason): the client broke the protocol
                if draining:
                    raise
                await self._close(exc.args[0], exc.args[1])
                return {'type': 'websocket.disconnect', 'code': exc.args[0]}
            except MemoryError:  # the board ran out of heap: drop this connection only
                if draining:
                    raise
                self.buffer = b''
                self.payload = self.parts = None
                self.close_received = True  # read nothing more from this client
                gc.collect()
                await self._close(1011, 'out of memory')
                return {'type': 'websocket.disconnect', 'code': 1011}
            except OSError:
                self.close_received = True
                if draining:
                    raise
                if self.ended is None:
                    self.ended = (1006, 'connection lost')
                return {'type': 'websocket.disconnect', 'code': 1006}
            if self.pinged:  # any frame shows the client is there
                self.pinged = False
            opcode = event[0]
            if opcode == 8:
                self.close_received = True
                if self.ended is None:
                    self.ended = (event[1], 'by the client')
                if draining:
                    return None
                if not self.close_sent:
                    self.close_sent = True
                    await conn._write(close_frame(event[1] if event[1] != 1005 else None))
                return {'type': 'websocket.disconnect', 'code': event[1], 'reason': event[2]}
            if draining:
                continue
            if opcode == 1 or opcode == 2:
                self.idle_deadline = _deadline(limits.ws_idle_timeout)
                return {'type': 'websocket.receive', 'text' if opcode == 1 else 'bytes': event[1]}
            if opcode == 9:
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
            data = text.encode() if text is not None else message.get('bytes') or b''
            if len(data) < 512 or not MICROPYTHON:  # (one write is faster on CPython)
                await conn._write(frame(1 if text is not None else 2, data))
                return
            # On a board a large payload goes out as it is, after its head:
            # not copied into a frame. Both are written before any await, so
            # no other frame (a pong, a ping) comes between.
            try:
                conn.writer.write(frame_head(1 if text is not None else 2, len(data)))
            except OSError:
                raise OSError(32, 'connection closed')
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
            _log(conn, self.request, 101, 'open')
        elif kind == 'websocket.close':
            if not self.accepted:
                if not self.refused:  # else a denial response went out already
                    self.refused = 403
                    await conn._write(error_response(403))
            elif not self.close_sent:
                await self._close(message.get('code', 1000), message.get('reason') or '',
                                  'by the app')
        elif kind == 'websocket.http.response.start' and not self.accepted and not self.refused:
            # The denial-response extension: the client sees the app's real
            # status (404, 401, 500...) instead of a bare 403; the connection
            # closes after the body, so a body without Content-Length is framed.
            self.refused = message['status']
            await conn._write(response_head(message['status'], list(message.get('headers') or ()),
                                            False, False))
        elif kind == 'websocket.http.response.body' and self.refused and not self.accepted:
            await conn._write(message.get('body') or b'')
        else:
            raise RuntimeError('unexpected ASGI message %r' % kind)


_EXTENSIONS = {'websocket.http.response': {}}


async def _opening(conn, request):
    """The ASGI ``websocket`` scope of the upgrade *request*, or None once
    it is refused (a bad target, too many WebSockets, a bad handshake). Its
    own frame, gone before the app runs: what it needs is not held in
    upgrade()'s frame for as long as the WebSocket is open."""
    try:
        path, raw_path, query = request_target(request)
    except ProtocolError as exc:
        await conn._refuse(exc)
        return None
    server = conn.server
    if server.websockets >= conn.limits.max_websockets:  # the rest is kept for plain HTTP
        await conn._refuse(ProtocolError(503, 'too many WebSockets open'))
        return None
    conn.addresses()
    problem = handshake_problem(request)
    if problem is not None:
        _log(conn, request, problem[0], '(bad WebSocket handshake)')
        await conn._write(response_head(problem[0], problem[1] + [(b'content-length', b'0')],
                                        False, False))
        return None
    offered = header(request.headers, b'sec-websocket-protocol')
    return {
        'type': 'websocket', 'asgi': ASGI,
        'http_version': '1.1', 'scheme': 'wss' if server.tls else 'ws', 'path': path,
        'raw_path': raw_path, 'query_string': query,  # root_path: its default
        'headers': request.headers, 'client': conn.peer, 'server': conn.local,
        'subprotocols': [p.strip().decode() for p in offered.split(b',') if p.strip()]
        if offered else (), 'extensions': _EXTENSIONS,
    }


async def upgrade(conn, request):
    """Serve the upgrade *request* on *conn* as an ASGI ``websocket`` scope
    (no ``Exchange``: nothing of the HTTP exchange is held while it is open)."""
    scope = await _opening(conn, request)
    if scope is None:
        return
    server = conn.server
    if MICROPYTHON:
        # What the WebSocket holds while it is open then goes into the
        # lowest free blocks, not across the heap wherever the garbage of
        # earlier requests ended (fragments that no larger block fits in).
        gc.collect()
    ws = WebSocketSession(conn, request)
    server.websockets += 1
    try:
        try:  # the app runs in this frame: one frame less held while the socket is open
            app = server.app
            if server.direct:
                # A plugdot App: its plugdot_asgi_scope hooks, called as its
                # ASGI call does (App.scope_takers), without that call's two
                # frames held while the WebSocket is open. None that takes
                # it: not accepted, a 403 below (the ASGI call's close).
                for taker in app.scope_takers():
                    taken = taker(app, scope, ws.receive, ws.send)
                    if isawaitable(taken):
                        taken = await taken
                    if taken is not None:
                        break
            else:
                await app(scope, ws.receive, ws.send)
        except Exception as exc:
            if ws.accepted and not ws.close_sent:
                await ws._close(1011, '', 'out of memory' if isinstance(exc, MemoryError)
                                else 'app error')
            elif not ws.accepted and not ws.refused:
                ws.refused = 500
                await conn._write(error_response(500))
            return
        if not ws.accepted:
            if not ws.refused:
                ws.refused = 403
                await conn._write(error_response(403))
        elif not ws.close_sent:
            await ws._close(1000, '', 'by the app')
    finally:
        server.websockets -= 1
        if ws.accepted:
            _log(conn, request, 101, '', ws.ended or (1006, 'connection lost'))
        else:
            _log(conn, request, ws.refused or 500, '(not upgraded)')
        if MICROPYTHON:
            # What the WebSocket held is garbage now, spread across the heap:
            # collected at once, the next requests find large free blocks
            # rather than holes between it (a board's heap is small).
            gc.collect()
