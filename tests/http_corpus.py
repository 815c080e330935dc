"""A corpus of valid, malformed and smuggling-prone HTTP/1.1 request streams,
shared by the tests that hold plugdot's server to h11's verdicts.

Each entry of ``CASES`` is everything a client sends on one connection
before it shuts its sending side.
The verdict of a parser on it is ``(requests, refused)``: the requests it
saw complete, as ``(method, target, body)``, and whether it then refused
the stream as malformed (a body cut short by the client's close counts as
refused: the server answers it 400). plugdot's server must reach h11's verdict on every
case of ``CASES``: the same requests, with the same bodies, then the same
refusal — a request one parser sees and the other does not is how request
smuggling starts. ``STRICTER`` lists what h11 accepts and the server refuses
on purpose (RFC 9112 lets a server refuse each); refusing is never a
desync, it closes the connection. ``TOLERATED`` is the one thing the other
way round.
"""
import socket

CHUNKED = b'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
NEXT = b'GET /next HTTP/1.1\r\nHost: a\r\n\r\n'

CASES = [
    # valid
    b'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    b'GET /p?q=1 HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n' + NEXT,
    b'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' + NEXT,
    b'GET / HTTP/1.0\r\n\r\n' + NEXT,                     # HTTP/1.0: closed after one
    CHUNKED + b'5\r\nhello\r\n0\r\n\r\n' + NEXT,
    CHUNKED + b'5;a=b\r\nhello\r\n6;x;y="q"\r\n world\r\n0\r\n\r\n' + NEXT,
    CHUNKED + b'5 \r\nhello\r\n0\r\n\r\n' + NEXT,          # OWS before the CRLF
    CHUNKED + b'A\r\n0123456789\r\n0005\r\nhello\r\n0\r\n\r\n' + NEXT,
    CHUNKED + b'5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: two words\r\n\r\n' + NEXT,
    CHUNKED + b'0\r\n\r\n' + NEXT,
    # malformed chunked bodies
    CHUNKED + b' 5\r\nhello\r\n0\r\n\r\n',                  # space before the size
    CHUNKED + b'\t5\r\nhello\r\n0\r\n\r\n',
    CHUNKED + b'5 ;a=b\r\nhello\r\n0\r\n\r\n',              # space before the extension
    CHUNKED + b'5;a\nb\r\nhello\r\n0\r\n\r\n',              # bare LF in an extension
    CHUNKED + b'5\nhello\r\n0\r\n\r\n',                     # bare LF ends the size line
    CHUNKED + b'5\r\nhello\n0\r\n\r\n',                     # bare LF after the data
    CHUNKED + b'5\r\nhelloXX0\r\n\r\n',                     # no CRLF after the data
    CHUNKED + b'5\r\nhello\r\n0\r\n\r',
    CHUNKED + b'0x5\r\nhello\r\n0\r\n\r\n',
    CHUNKED + b'-5\r\nhello\r\n0\r\n\r\n',
    CHUNKED + b'+5\r\nhello\r\n0\r\n\r\n',
    CHUNKED + b'\r\n',
    CHUNKED + b';a=b\r\nhello\r\n0\r\n\r\n',                # extension without a size
    CHUNKED + b'5\r\nhello\r\n0\r\nBad Trailer: 1\r\n\r\n' + NEXT,
    CHUNKED + b'5\r\nhello\r\n0\r\nNoColon\r\n\r\n' + NEXT,
    CHUNKED + b'5\r\nhello\r\n0\r\n: no-name\r\n\r\n' + NEXT,
    CHUNKED + b'5\r\nhello\r\n0\r\nX : 1\r\n\r\n' + NEXT,   # space before the colon
    CHUNKED + b'5\r\nhello\r\n0\r\nX: a\x00b\r\n\r\n' + NEXT,
    CHUNKED + b'0\r\nGET /hidden HTTP/1.1\r\nHost: a\r\n\r\n',  # a request line as a trailer
    # framing conflicts (smuggling)
    b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc',
    b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    # malformed heads
    b'GET /\r\n\r\n',
    b'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
    b'G(T / HTTP/1.1\r\nHost: a\r\n\r\n',
    b'GET / HTTP/1.1x\r\nHost: a\r\n\r\n',
    b'GET / FOO/1.1\r\nHost: a\r\n\r\n',
    b'GET / HTTP/1.1\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nName : x\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n',
    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n',
]

STRICTER = [
    (b'GET / HTTP/1.1\nHost: a\n\n', 'bare LF line ends in the head: 400 at once'),
    (b'GET / HTTP/1.1\r\nHost: a\n\r\n', 'a bare LF ends a header line'),
    (b'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n', 'obsolete line folding'),
    (b'GET / HTTP/1.1\r\nHost: a\r\n X: leading space\r\n\r\n', 'obsolete line folding'),
    (b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
     'both Content-Length and Transfer-Encoding (h11 lets chunked win)'),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
     'both Transfer-Encoding and Content-Length'),
    (CHUNKED + b'5\r\nhello\r\n0\r\n\nGET /hidden HTTP/1.1\r\nHost: a\r\n\r\n',
     'a bare LF ending the trailers (h11 then reads /hidden as a second request)'),
    (CHUNKED + b'5\r\nhello\r\n0\r\nX: 1\nY: 2\r\n\r\n', 'a bare LF between trailer lines'),
]

# What the server accepts and h11 refuses: an empty line before a request
# line, which RFC 9112 (2.2) says a server SHOULD ignore. No request hides in it.
TOLERATED = [
    b'\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n' + NEXT,
]


def h11_verdict(raw):
    """``(requests, refused)`` of h11 as the server side of *raw*."""
    import h11
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(raw)
    conn.receive_data(b'')  # the client's close
    requests, current = [], None
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return requests, True
        if isinstance(event, h11.Request):
            current = [event.method.decode(), event.target, b'']
        elif isinstance(event, h11.Data):
            current[2] += event.data
        elif isinstance(event, h11.EndOfMessage):
            requests.append(tuple(current))
            conn.send(h11.Response(status_code=200, headers=[('content-length', '0')]))
            conn.send(h11.EndOfMessage())
            if conn.our_state is h11.MUST_CLOSE:
                return requests, False
            conn.start_next_cycle()
        else:  # ConnectionClosed, PAUSED: nothing more to see
            return requests, False


def parser_verdict(raw, limits):
    """``(requests, refused)`` of plugdot's sans-IO parser on *raw*."""
    from plugdot_mpy_server.protocol import END, NEED_DATA, ProtocolError, Request, RequestParser
    parser = RequestParser(limits)
    parser.feed(raw)
    requests, current = [], None
    while True:
        try:
            event = parser.next_event()
        except ProtocolError:
            return requests, True
        if isinstance(event, Request):
            current = [event.method, event.target, b'']
        elif isinstance(event, bytes):  # a piece of the body
            current[2] += event
        elif event is END:
            requests.append(tuple(current))
            if not parser.request.keep_alive:
                return requests, False
            parser.start_next()
        elif event is NEED_DATA:  # then the client's close: is a request cut short?
            return requests, parser.request is not None and parser.state != 'done'


async def echo_app(scope, receive, send):
    """A raw ASGI app answering ``METHOD TARGET BODY``, so that the server's
    responses show which requests it saw, with which bodies."""
    if scope['type'] != 'http':
        return
    body = b''
    while True:
        message = await receive()
        body += message.get('body', b'')
        if not message.get('more_body'):
            break
    target = scope['raw_path'] + (b'?' + scope['query_string'] if scope['query_string'] else b'')
    reply = scope['method'].encode() + b' ' + target + b' ' + body
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-length', b'%d' % len(reply))]})
    await send({'type': 'http.response.body', 'body': reply})


def server_verdict(port, raw, timeout=5):
    """``(requests, refused)`` of a server on 127.0.0.1:*port* running
    :func:`echo_app`: *raw* is sent, the sending side shut, and the responses
    read until the server closes."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        data = b''
        try:
            while True:
                got = s.recv(65536)
                if not got:
                    break
                data += got
        except OSError:  # a reset after the last response
            pass
    requests, refused = [], False
    while data:
        head, _, rest = data.partition(b'\r\n\r\n')
        lines = head.split(b'\r\n')
        status = int(lines[0].split(b' ')[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b':')
            if name.strip().lower() == b'content-length':
                length = int(value)
        body, data = rest[:length], rest[length:]
        if status != 200:
            refused = True
            assert status >= 400 and not data, (status, data)
            break
        method, target, payload = body.split(b' ', 2)
        requests.append((method.decode(), target, payload))
    return requests, refused
