"""A sans-IO HTTP/1.1 request parser and response serializer.

No sockets and no asyncio here: bytes go in through ``feed()``, events come
out of ``next_event()``. The same code runs under CPython and MicroPython.
The server's :class:`Limits` are here too (one module less on a board).

Parser states (``parser.state``, one request at a time; pipelined bytes
wait in the buffer)::

    'head' --(head complete)--> 'length' --(n bytes)--> 'end' --> 'done'
                            \\-> 'chunked' --(last chunk, trailers)--> 'done'
                                (decoded by chunked.py, loaded on first use)
                            \\-> 'end' (no body) --> 'done'

    Every request yields a Request, then zero or more pieces of the body
    (bytes), then END.
    'done' --(start_next())--> 'head'

(The states are plain strings, not names: a module-level name is heap on a
board.)

Rules enforced (each malformed input raises ProtocolError with the status
to answer; the connection is then closed):

* lines end in CRLF (a bare LF is a 400 at once); the request line is
  ``METHOD SP TARGET SP HTTP/1.x``; the method is a token; the target is
  origin-form, ``*`` or absolute-form; other versions get 505;
* header names are tokens with no whitespace before the colon; values have
  no control characters but tab; obsolete line folding is refused;
* line lengths are checked while the line is still arriving, not after;
* Content-Length is digits only; several must agree; it cannot come with
  Transfer-Encoding (request smuggling); Transfer-Encoding must be exactly
  ``chunked`` (501 for other codings) and is refused from HTTP/1.0;
* chunk lines are ``HEX[;extensions] OWS CRLF``, each chunk is followed
  by CRLF; trailers are checked like header lines, then dropped, within the
  head limits (see chunked.py);
* HTTP/1.1 requires exactly one Host header.
"""

from plugdot._compat import MICROPYTHON
from plugdot.errors import status_phrase  # one table of reason phrases on a board

NEED_DATA = 'need-data'


class Limits:
    """Hard limits of one server; every field has a default and a keyword
    (``Limits(max_connections=4)``; an unknown one is a TypeError).

    * ``max_request_line`` — bytes in the request line (414 past it)
    * ``max_header_line`` — bytes in one header line (431)
    * ``max_headers`` — number of header fields (431)
    * ``max_header_size`` — bytes of the whole head (431)
    * ``max_body_size`` — bytes of a request body (413)
    * ``max_chunk_line`` — bytes of a chunk-size line (400)
    * ``header_timeout`` — seconds to receive a complete head (408, then close)
    * ``body_timeout`` — seconds between body reads, or for a response write
      the client does not take (connection closed)
    * ``keepalive_timeout`` — seconds an idle keep-alive connection is kept
    * ``max_connections`` — connections served at once; more get a quick 503
    * ``backlog`` — listen backlog for connections not yet accepted
    * ``read_size`` — bytes asked of the socket per read
    * ``shutdown_timeout`` — seconds in-flight requests get on shutdown
    * ``max_ws_message`` — bytes of one WebSocket message (close 1009; on a
      board each costs 2-3 times its size in heap, more when it is
      fragmented: docs/websocket.md)
    * ``ws_close_timeout`` — seconds to wait for the client's close frame
    * ``max_websockets`` — WebSockets open at once, fewer than
      ``max_connections`` so that plain HTTP always has room (default: half
      of them); more upgrades get a 503
    * ``ws_ping_interval`` — seconds of silence from a WebSocket client
      before the server pings it
    * ``ws_ping_timeout`` — seconds a pinged client has to send anything
      (else close 1011)
    * ``ws_idle_timeout`` — seconds without a message either way before a
      WebSocket is closed (1001)
    """

    # The defaults are in _LIMITS (class attributes too, on CPython): a
    # server with them holds no copy, and an instance stores only what was
    # given.

    def __init__(self, **limits):
        for name, value in limits.items():
            if name not in _LIMITS:  # (a str, so never one of the values)
                raise TypeError('Limits: unknown limit %r' % name)
            setattr(self, name, value)
        if 'max_websockets' not in limits:
            if 'max_connections' in limits:
                self.max_websockets = self.max_connections // 2
        elif self.max_websockets >= self.max_connections:
            raise ValueError('Limits: max_websockets (%d) must be below max_connections (%d), '
                             'or WebSockets can lock plain HTTP out'
                             % (self.max_websockets, self.max_connections))

    @classmethod
    def for_cpython(cls, **overrides):
        """Roomier defaults for the development server on CPython."""
        values = dict(max_request_line=8192, max_header_line=8192, max_headers=100,
                      max_header_size=16 * 1024, max_body_size=1024 * 1024,
                      max_connections=256, backlog=128, read_size=16 * 1024,
                      max_ws_message=1024 * 1024)
        values.update(overrides)
        return cls(**values)

    def __getattr__(self, name):
        # A default (on a board, where they are no class attributes).
        if name in _LIMITS:
            return _LIMITS[_LIMITS.index(name) + 1]
        raise AttributeError(name)


# Each limit and its default, in a flat tuple: a constant (in flash on a
# board, where a class attribute each would be an entry in the RAM of the
# class's dict).
_LIMITS = ('max_request_line', 1024, 'max_header_line', 1024, 'max_headers', 32,
           'max_header_size', 4096, 'max_body_size', 16384, 'max_chunk_line', 64,
           'header_timeout', 10.0, 'body_timeout', 10.0, 'keepalive_timeout', 5.0,
           'max_connections', 8, 'backlog', 16, 'read_size', 512, 'shutdown_timeout', 5.0,
           'max_ws_message', 4096, 'ws_close_timeout', 2.0,
           'max_websockets', 4,  # max_connections // 2 unless given
           'ws_ping_interval', 20.0, 'ws_ping_timeout', 20.0, 'ws_idle_timeout', 300.0)
if not MICROPYTHON:  # CPython reads them as any class attribute: no call per read
    for _i in range(0, len(_LIMITS), 2):
        setattr(Limits, _LIMITS[_i], _LIMITS[_i + 1])
    del _i


class ProtocolError(Exception):
    """Malformed or over-limit input: ``ProtocolError(status, reason)``
    (its ``args``) answers *status*, naming the *reason*, and closes."""

class Request:
    """A parsed request head."""

    # What most requests leave as it is lives on the class: an instance
    # stores only the rest, which is heap held while the request is served.
    content_length = None
    chunked = False
    keep_alive = True
    expect_continue = False

    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers          # [(lower-case name bytes, value bytes)]
        if version != '1.1':
            self.keep_alive = False


# A body arrives as pieces of bytes, then END (no class per event: a board
# would hold the classes, and make an object per piece).
END = 'end-of-message'


def _is_token(data):
    if not data:
        return False
    if data.replace(b'-', b'').isalpha():  # most names and methods: checked in C
        return True
    # A byte string, not a set: `int in bytes` works on both interpreters,
    # and a constant costs no heap for a hash table (nor a name) on a board.
    for b in data:
        if b not in (b"!#$%&'*+-.^_`|~0123456789"
                     b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            return False
    return True


def _check_value(value):
    for b in value:
        if (b < 32 and b != 9) or b == 127:
            raise ProtocolError(400, 'invalid character in header value')


class RequestParser:
    """Turns the bytes of one connection into request events."""

    # The initial state lives on the class: a parser waiting for its first
    # byte (an idle connection on a board) holds nothing but its limits.
    buffer = b''
    state = 'head'
    request = None
    remaining = 0       # body bytes left (length) or in this chunk
    body_size = 0
    chunk_state = 'size'
    trailer_bytes = 0

    def __init__(self, limits):
        self.limits = limits

    def feed(self, data):
        """Add bytes received from the client."""
        if data:
            self.buffer = self.buffer + data if self.buffer else bytes(data)

    def start_next(self):
        """After a complete request, get ready to parse the next one."""
        self.state = 'head'
        self.request = None
        if self.chunk_state != 'size' or self.body_size:  # a chunked body (else never set)
            self.body_size = 0
            self.chunk_state = 'size'
            self.trailer_bytes = 0

    def next_event(self):
        """Return a Request, a piece of the body (bytes), END, or
        NEED_DATA; raise ProtocolError."""
        if self.state == 'head':
            return self._parse_head()
        if self.state == 'length':
            buf = self.buffer
            if not buf:
                return NEED_DATA
            take = buf[:self.remaining]
            self.buffer = buf[len(take):]
            self.remaining -= len(take)
            if self.remaining == 0:
                self.state = 'end'
            return take
        if self.state == 'chunked':
            # Chunked request bodies are rare on a board: their decoder is
            # loaded (heap) only when a client first sends one.
            from .chunked import read_chunked
            return read_chunked(self)
        if self.state == 'end':
            self.state = 'done'
            return END
        return NEED_DATA

    # -- the head --------------------------------------------------------------
    def _parse_head(self):
        # Header names most clients send, stored as these constants (in flash
        # on a board) instead of a lower-cased copy: one object less per
        # header, held while the request is served. (Host, Connection,
        # Content-Length and Transfer-Encoding are matched below anyway.)
        names = (b'accept', b'accept-encoding', b'accept-language', b'user-agent',
                 b'content-type', b'cookie', b'referer', b'origin', b'upgrade', b'cache-control',
                 b'authorization', b'sec-websocket-key', b'sec-websocket-version',
                 b'if-none-match')
        buf = self.buffer
        limits = self.limits
        if buf[:2] == b'\r\n':  # tolerate empty lines between requests (RFC 9112 2.2)
            while buf[:2] == b'\r\n':
                buf = buf[2:]
            self.buffer = buf
        end = buf.find(b'\r\n\r\n')
        if end < 0:
            if buf.count(b'\n') > buf.count(b'\r\n'):  # else it would wait for the timeout
                raise ProtocolError(400, 'bare LF in the request head')
            first = buf.find(b'\r\n')
            if first < 0:
                if len(buf) > limits.max_request_line:
                    raise ProtocolError(414, 'request line too long')
            else:
                last_line = len(buf) - buf.rfind(b'\r\n') - 2
                if last_line > limits.max_header_line:
                    raise ProtocolError(431, 'header line too long')
            if len(buf) > limits.max_header_size:
                raise ProtocolError(431, 'request head too large')
            return NEED_DATA
        if end + 4 > limits.max_header_size:
            raise ProtocolError(431, 'request head too large')
        head = buf[:end]
        self.buffer = buf[end + 4:]
        lines = head.split(b'\r\n')
        # the request line
        line = lines[0]
        if len(line) > limits.max_request_line:
            raise ProtocolError(414, 'request line too long')
        parts = line.split(b' ')
        if len(parts) != 3:
            raise ProtocolError(400, 'malformed request line')
        method, target, version = parts
        if not _is_token(method):
            raise ProtocolError(400, 'malformed method')
        if version[:5] != b'HTTP/' or len(version) != 8 or version[6:7] != b'.':
            raise ProtocolError(400, 'malformed HTTP version')
        if version not in (b'HTTP/1.1', b'HTTP/1.0'):
            raise ProtocolError(505, 'HTTP version not supported')
        if not target or not (target[:1] == b'/' or target == b'*'
                              or target[:7] == b'http://' or target[:8] == b'https://'):
            raise ProtocolError(400, 'malformed request target')
        for b in target:
            if b <= 32 or b >= 127:
                raise ProtocolError(400, 'invalid character in request target')
        request = Request(method.decode(), target, version[5:].decode(), [])
        # the header lines
        if len(lines) - 1 > limits.max_headers:
            raise ProtocolError(431, 'too many header fields')
        headers = request.headers
        lengths = []
        host = 0
        for line in lines[1:]:
            if len(line) > limits.max_header_line:
                raise ProtocolError(431, 'header line too long')
            if line[:1] in (b' ', b'\t'):
                raise ProtocolError(400, 'obsolete header line folding')
            colon = line.find(b':')
            if colon <= 0:
                raise ProtocolError(400, 'malformed header line')
            name = line[:colon]
            if not _is_token(name):
                raise ProtocolError(400, 'malformed header name')
            value = line[colon + 1:].strip(b' \t')
            _check_value(value)
            name = name.lower()
            # A name compared here is stored as the constant it matched: one
            # object less per header, held while the request is served.
            if name == b'host':
                name = b'host'
                host += 1
            elif name == b'connection':
                name = b'connection'
                if value == b'keep-alive':  # what most clients send: kept as the constant
                    value = b'keep-alive'
                tokens = [t.strip() for t in value.lower().split(b',')]
                if b'close' in tokens:
                    request.keep_alive = False
                elif b'keep-alive' in tokens and request.version == '1.0':
                    request.keep_alive = True
            elif name == b'content-length':
                name = b'content-length'
                lengths.append(value)
            elif name == b'transfer-encoding':
                name = b'transfer-encoding'
                if request.version == '1.0':
                    raise ProtocolError(400, 'Transfer-Encoding in an HTTP/1.0 request')
                if request.chunked:
                    raise ProtocolError(400, 'repeated Transfer-Encoding')
                coding = value.lower()
                if coding != b'chunked':
                    if coding.endswith(b'chunked'):
                        raise ProtocolError(501, 'unsupported transfer coding')
                    raise ProtocolError(400 if b'chunked' in coding else 501,
                                        'unsupported transfer coding')
                request.chunked = True
            elif name == b'expect':
                if value.lower() == b'100-continue':
                    request.expect_continue = True
            elif name in names:
                name = names[names.index(name)]
            headers.append((name, value))
        if request.version == '1.1' and host != 1:
            raise ProtocolError(400, 'HTTP/1.1 needs exactly one Host header')
        if lengths:
            if request.chunked:
                raise ProtocolError(400, 'both Content-Length and Transfer-Encoding')
            for value in lengths:
                if value != lengths[0]:
                    raise ProtocolError(400, 'conflicting Content-Length')
                if len(value) > 15 or not value.isdigit():  # ASCII digits, one at least
                    raise ProtocolError(400, 'invalid Content-Length')
            request.content_length = int(lengths[0])
        self.request = request
        if request.chunked:
            self.state = 'chunked'
        elif request.content_length:
            if request.content_length > limits.max_body_size:
                raise ProtocolError(413, 'request body too large: server limit '
                                    'Limits.max_body_size (%d bytes)' % limits.max_body_size)
            self.state = 'length'
            self.remaining = request.content_length
        else:
            self.state = 'end'
        return request


def is_upgrade(request):
    """True if the request asks to switch to WebSocket."""
    for name, value in request.headers:
        if name == b'upgrade':
            return b'websocket' in value.lower()
    return False


# -- responses -------------------------------------------------------------------
def response_head(status, headers, keep_alive, chunked, http10=False, into=None):
    """Serialize a response head. *headers* are ``(bytes, bytes)`` pairs from
    the app, which must not contain CR or LF (checked). An HTTP/1.0 client
    (*http10*) kept alive is told so, or it would wait for the close.

    With *into* (a bytearray: on a board the server's one buffer), the head
    is written there rather than returned, and its length is returned (None
    when it does not fit): no block as long as the head, which a full,
    fragmented heap may not have when the head's pieces would fit."""
    parts = [b'HTTP/1.1 %d %s\r\n' % (status, status_phrase(status).encode())]
    for name, value in headers:
        if b'\r' in name or b'\n' in name or b'\r' in value or b'\n' in value:
            raise ValueError('CR/LF in a response header')
        if name in (b'connection', b'transfer-encoding') and status != 101:
            continue  # the server decides framing and keep-alive
        parts += (name, b': ', value, b'\r\n')  # not joined per line: no copy of each
    if chunked:
        parts.append(b'transfer-encoding: chunked\r\n')
    if not keep_alive and status != 101:
        parts.append(b'connection: close\r\n')
    elif http10:
        parts.append(b'connection: keep-alive\r\n')
    parts.append(b'\r\n')
    if into is None:
        return b''.join(parts)
    n = 0
    for part in parts:
        if n + len(part) > len(into):
            return None
        into[n:n + len(part)] = part
        n += len(part)
    return n


def error_response(status, reason=''):
    """A complete small error response that closes the connection; its body
    names the status and, when given, the *reason* (what was wrong with the
    request, so that a developer need not guess)."""
    body = b'%d %s' % (status, (status_phrase(status) or 'Error').encode())
    if reason:
        body += b': ' + reason.encode()
    return response_head(status, [(b'content-type', b'text/plain'),
                                  (b'content-length', b'%d' % len(body))], False, False) + body
