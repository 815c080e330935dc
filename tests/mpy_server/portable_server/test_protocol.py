"""The sans-IO parser against a corpus of valid and malformed requests.
Portable: runs under CPython and MicroPython."""
from plugdot_mpy_server import Limits
from plugdot_mpy_server.protocol import (END, NEED_DATA, ProtocolError, Request,
                                         RequestParser, error_response, response_head)


def parse(raw, limits=None, pieces=1):
    """Feed *raw* (in *pieces* slices) and collect (request, body, ended)."""
    parser = RequestParser(limits or Limits())
    step = max(1, len(raw) // pieces)
    request, body, ended = None, b'', False
    fed = 0
    while True:
        event = parser.next_event()
        if event is NEED_DATA:
            if fed >= len(raw):
                return request, body, ended, parser
            parser.feed(raw[fed:fed + step])
            fed += step
        elif isinstance(event, Request):
            request = event
        elif event is END:
            return request, body, True, parser
        else:  # a piece of the body
            assert isinstance(event, bytes) and event, event
            body += event


def status_of(raw, limits=None):
    try:
        parse(raw, limits)
    except ProtocolError as exc:
        return exc.args[0]
    return None


VALID = [
    (b'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET', b'/', b''),
    (b'GET /p?q=1 HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n', 'GET', b'/p?q=1', b''),
    (b'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello', 'POST', b'/x', b'hello'),
    (b'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
     b'5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n', 'POST', b'/x', b'hello world'),
    (b'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n', 'POST', b'/x', b''),
    (b'GET / HTTP/1.0\r\n\r\n', 'GET', b'/', b''),
    (b'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', 'OPTIONS', b'*', b''),
    (b'GET http://a.example/abs?x HTTP/1.1\r\nHost: a.example\r\n\r\n', 'GET',
     b'http://a.example/abs?x', b''),
    (b'\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET', b'/', b''),
    (b'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
     'PUT', b'/x', b'abc'),
]


def test_valid_requests_whole_and_byte_by_byte():
    for raw, method, target, body in VALID:
        for pieces in (1, 3, len(raw)):
            request, got, ended, _ = parse(raw, pieces=pieces)
            assert ended, raw
            assert (request.method, request.target, got) == (method, target, body), raw


def test_headers_keep_alive_and_expect():
    request, _, _, _ = parse(b'GET / HTTP/1.1\r\nHost: a\r\nX-A:  spaced value \t\r\n'
                             b'Connection: close\r\nExpect: 100-continue\r\n\r\n')
    assert (b'x-a', b'spaced value') in request.headers
    assert not request.keep_alive and request.expect_continue
    request, _, _, _ = parse(b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    assert request.keep_alive
    request, _, _, _ = parse(b'GET / HTTP/1.0\r\n\r\n')
    assert not request.keep_alive


def test_path_and_query():
    from plugdot_mpy_server.server import request_target
    assert request_target(Request('GET', b'/a/b?x=1&y', '1.1', [])) == ('/a/b', b'/a/b', b'x=1&y')
    assert request_target(Request('GET', b'http://h/p?q', '1.1', [])) == ('/p', b'/p', b'q')
    assert request_target(Request('GET', b'http://h', '1.1', [])) == ('/', b'/', b'')
    assert request_target(Request('OPTIONS', b'*', '1.1', [])) == ('*', b'*', b'')
    assert request_target(Request('GET', b'/a%20b', '1.1', [])) == ('/a b', b'/a%20b', b'')


MALFORMED = [
    (b'GET /\r\n\r\n', 400),                                        # no version
    (b'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 400),                   # double space
    (b'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 400),                    # bad method
    (b'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505),
    (b'GET / HTTP/1.1x\r\nHost: a\r\n\r\n', 400),
    (b'GET / FOO/1.1\r\nHost: a\r\n\r\n', 400),
    (b'GET nopath HTTP/1.1\r\nHost: a\r\n\r\n', 400),
    (b'GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n', 400),                # non-ASCII target
    (b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400),  # TLS hello garbage
    (b'GET / HTTP/1.1\r\n\r\n', 400),                               # no Host
    (b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400),         # two Hosts
    (b'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nHost: a\r\nName : x\r\n\r\n', 400),        # space before colon
    (b'GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n', 400),  # obs-fold
    (b'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n', 400),        # NUL in value
    (b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n', 501),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400),
    (b'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n', 400),
    (b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n', 400),
]


def test_malformed_requests_get_the_right_status():
    for raw, status in MALFORMED:
        got = status_of(raw)
        assert got == status, (raw, got, status)


def test_limits_are_enforced_before_the_line_completes():
    limits = Limits(max_request_line=64, max_header_line=64, max_headers=4,
                    max_header_size=256, max_body_size=10, max_chunk_line=16)
    # no CRLF yet, but already too long: refused without waiting for the rest
    assert status_of(b'GET /' + b'a' * 100, limits) == 414
    assert status_of(b'GET / HTTP/1.1\r\nHost: a\r\nX: ' + b'v' * 100, limits) == 431
    many = b''.join(b'X%d: v\r\n' % i for i in range(5))
    assert status_of(b'GET / HTTP/1.1\r\nHost: a\r\n' + many + b'\r\n', limits) == 431
    assert status_of(b'GET / HTTP/1.1\r\nHost: a\r\n' + b'X: 1234567890\r\n' * 3 + b'Y: ' +
                     b'z' * 60 + b'\r\n' * 2, limits) == 431
    assert status_of(b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n', limits) == 413
    chunked = b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
    assert status_of(chunked + b'8\r\n12345678\r\n8\r\n', limits) == 413
    assert status_of(chunked + b'1;' + b'e' * 40, limits) == 400


def test_pipelined_requests_parse_in_sequence():
    raw = (b'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'
           b'POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok'
           b'GET /3 HTTP/1.1\r\nHost: a\r\n\r\n')
    parser = RequestParser(Limits())
    parser.feed(raw)
    seen = []
    while True:
        event = parser.next_event()
        if event is NEED_DATA:
            break
        if isinstance(event, Request):
            seen.append(event.target)
        elif event is END:
            seen.append('end')
            parser.start_next()
        else:
            seen.append(event)
    assert seen == [b'/1', 'end', b'/2', b'ok', 'end', b'/3', 'end']


def test_serializer():
    head = response_head(200, [(b'content-type', b'text/plain'), (b'connection', b'x')], True, True)
    assert head == b'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n'
    head = response_head(404, [], False, False)
    assert head == b'HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n'
    assert error_response(431).startswith(b'HTTP/1.1 431 Request Header Fields Too Large\r\n')
    try:
        response_head(200, [(b'x', b'a\r\nb')], True, False)
    except ValueError:
        pass
    else:
        raise AssertionError('CR/LF in a header must be refused')


def test_serializer_into_a_buffer():
    # The board's way: the head written into the server's one buffer, its
    # length returned; the same bytes as the head returned; None (and no
    # byte past the buffer) when it does not fit; the same checks.
    headers = [(b'content-type', b'text/plain'), (b'set-cookie', b's=' + b'x' * 200),
               (b'transfer-encoding', b'x')]
    head = response_head(200, headers, False, False, True)
    buf = bytearray(512)
    n = response_head(200, headers, False, False, True, buf)
    assert n == len(head) and bytes(buf[:n]) == head and len(buf) == 512
    assert head.endswith(b'x' * 200 + b'\r\nconnection: close\r\n\r\n')
    small = bytearray(len(head) - 1)
    assert response_head(200, headers, False, False, True, small) is None
    assert len(small) == len(head) - 1
    assert response_head(200, headers, False, False, True, bytearray(len(head))) == len(head)
    try:
        response_head(200, [(b'x', b'a\nb')], True, False, False, buf)
    except ValueError:
        pass
    else:
        raise AssertionError('CR/LF in a header must be refused')
