"""Sans-IO WebSocket (RFC 6455) for the server side: the opening handshake
and the frame parser/serializer. Bytes in, events out; no sockets.

Frame rules enforced (a violation raises WSProtocolError with the close
code to send):

* client frames must be masked; RSV bits must be zero (no extensions) — 1002
* opcodes: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong — 1002
* control frames are not fragmented and carry at most 125 bytes — 1002
* a continuation needs a message in progress; a new data frame must not
  interrupt one — 1002
* a message larger than the limit — 1009
* text must be valid UTF-8 (checked when the message is complete) — 1007
* a close payload is empty or a valid code plus a UTF-8 reason — 1002/1007

Opcodes are plain numbers here and in :mod:`.wsserver` (1 text, 2 binary,
8 close, 9 ping, 10 pong): on a board every module-level name is heap.
"""
import binascii
import hashlib

from plugdot._compat import utf8

NEED_DATA = 'need-data'


class WSProtocolError(Exception):
    """The peer broke the protocol: close with ``code``."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


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


def frame(opcode, payload=b''):
    """One unmasked (server) frame, final: the server never fragments."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        head = bytes((first, n))
    elif n < 65536:
        head = bytes((first, 126, n >> 8, n & 255))
    else:
        head = bytes((first, 127)) + n.to_bytes(8, 'big')
    return head + payload


def close_frame(code=1000, reason=''):
    """A close frame with *code* and *reason* (no payload for code None)."""
    if code is None:
        return frame(8)
    return frame(8, code.to_bytes(2, 'big') + reason.encode()[:123])


class FrameParser:
    """Turns the bytes from a client into messages and control events.

    ``next_event()`` returns NEED_DATA, ``('text', str)``, ``('binary',
    bytes)``, ``('ping', bytes)``, ``('pong', bytes)`` or ``('close', code,
    reason)``.
    """

    # The state of a message in progress as class-level defaults: an idle
    # parser stores only its limit and buffer (heap held per open WebSocket).
    buffer = b''
    message_opcode = None  # of the fragmented message in progress
    parts = None           # its fragments so far (a list)
    size = 0               # their total size

    def __init__(self, max_message_size):
        self.max_message_size = max_message_size

    def feed(self, data):
        """Add bytes received from the client."""
        self.buffer += data

    def next_event(self):
        """The next event, or NEED_DATA; raises WSProtocolError."""
        while True:
            buf = self.buffer
            if len(buf) < 2:
                return NEED_DATA
            first, second = buf[0], buf[1]
            if first & 0x70:
                raise WSProtocolError(1002, 'reserved bits set')
            opcode = first & 0x0F
            if opcode not in (0, 1, 2, 8, 9, 10):
                raise WSProtocolError(1002, 'unknown opcode')
            fin = first & 0x80
            if not second & 0x80:
                raise WSProtocolError(1002, 'client frames must be masked')
            n = second & 0x7F
            at = 2
            if n == 126:
                if len(buf) < 4:
                    return NEED_DATA
                n, at = int.from_bytes(buf[2:4], 'big'), 4
            elif n == 127:
                if len(buf) < 10:
                    return NEED_DATA
                n, at = int.from_bytes(buf[2:10], 'big'), 10
            if opcode >= 8 and (not fin or n > 125):
                raise WSProtocolError(1002, 'bad control frame')
            if self.size + n > self.max_message_size and opcode < 8:
                raise WSProtocolError(1009, 'message too big')
            if len(buf) < at + 4 + n:
                return NEED_DATA
            payload = buf[at + 4:at + 4 + n]
            if n:  # unmask with one big-integer XOR: fast on both interpreters
                key = (buf[at:at + 4] * (n // 4 + 1))[:n]
                payload = (int.from_bytes(payload, 'big') ^ int.from_bytes(key, 'big')
                           ).to_bytes(n, 'big')
            self.buffer = buf[at + 4 + n:]
            if opcode == 9:
                return ('ping', payload)
            if opcode == 10:
                return ('pong', payload)
            if opcode == 8:
                if not payload:
                    return ('close', 1005, '')
                if len(payload) == 1:
                    raise WSProtocolError(1002, 'bad close payload')
                code = int.from_bytes(payload[:2], 'big')
                if code not in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011) and \
                        not 3000 <= code <= 4999:
                    raise WSProtocolError(1002, 'bad close code')
                try:
                    return ('close', code, utf8(payload[2:]))
                except UnicodeError:
                    raise WSProtocolError(1007, 'close reason is not UTF-8')
            if opcode == 0:
                if self.message_opcode is None:
                    raise WSProtocolError(1002, 'continuation without a message')
                opcode = self.message_opcode
            elif self.message_opcode is not None:
                raise WSProtocolError(1002, 'new message inside a fragmented one')
            if not fin:  # a fragment: kept until the last one
                if self.message_opcode is None:
                    self.message_opcode, self.parts = opcode, []
                self.size += n
                self.parts.append(payload)
                continue
            if self.message_opcode is not None:  # the last fragment
                self.parts.append(payload)
                payload = b''.join(self.parts)
                del self.message_opcode, self.parts, self.size  # back to the defaults
            if opcode == 1:
                try:
                    return ('text', utf8(payload))
                except UnicodeError:
                    raise WSProtocolError(1007, 'text is not UTF-8')
            return ('binary', payload)
