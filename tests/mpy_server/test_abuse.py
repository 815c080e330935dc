"""The mpy-server under CPython against clients and apps that break the
rules: responses held to their framing, slow and non-reading clients, HTTP/1.0
keep-alive. Real sockets on 127.0.0.1."""
import asyncio
import gc
import os
import socket
import time

from support import websocket_upgrade

from plugdot_mpy_server import Limits


def read_all(s, timeout=3):
    """Everything until the server closes; fails if it does not within *timeout*."""
    s.settimeout(timeout)
    data = b''
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = s.recv(65536)
        if not got:
            return data
        data += got
    raise AssertionError('the server did not close: %r' % data)


async def lying_app(scope, receive, send):
    """Declares one Content-Length and sends another amount."""
    if scope['type'] != 'http':
        return
    path = scope['path']
    if path == '/not-modified':  # the length a 200 would have: no body, and no lie
        await send({'type': 'http.response.start', 'status': 304,
                    'headers': [(b'content-length', b'10')]})
        await send({'type': 'http.response.body', 'body': b''})
        return
    if path == '/ok':
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-length', b'2')]})
        await send({'type': 'http.response.body', 'body': b'ok'})
        return
    declared, pieces = {'/more': (b'5', [b'helloEXTRA']), '/less': (b'10', [b'short']),
                        '/more-streamed': (b'6', [b'abc', b'defEXTRA', b'MORE'])}[path]
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-length', declared)]})
    for i, piece in enumerate(pieces):
        await send({'type': 'http.response.body', 'body': piece,
                    'more_body': i < len(pieces) - 1})


def test_the_app_is_held_to_its_content_length(running):
    srv = running(app=lying_app)
    for path, body in [('/more', b'hello'), ('/less', b'short'), ('/more-streamed', b'abcdef')]:
        with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
            # pipelined: extra bytes must not become the start of the next response
            s.sendall(b'GET %s HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n'
                      % path.encode())
            out = read_all(s)  # closed after the broken response: never hangs
        assert out.startswith(b'HTTP/1.1 200 OK\r\n') and out.endswith(b'\r\n\r\n' + body), out
        assert out.count(b'HTTP/1.1') == 1
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /not-modified HTTP/1.1\r\nHost: a\r\n\r\n'
                  b'GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
        out = read_all(s)  # an honest app keeps its keep-alive
        assert out.count(b'200 OK') == 2 and out.count(b'304 Not Modified') == 1, out


def test_a_bare_lf_head_is_a_400_at_once(running):
    srv = running(Limits.for_cpython(header_timeout=5.0))
    for raw in [b'GET / HTTP/1.1\nHost: a\n\n', b'GET / HTTP/1.1\r\nHost: a\n\n']:
        start = time.monotonic()
        with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
            s.sendall(raw)
            out = read_all(s)
        assert out.startswith(b'HTTP/1.1 400') and b'bare LF' in out, out
        assert time.monotonic() - start < 2  # not after the 5 s head timeout


def test_http10_is_kept_alive_only_when_it_asks(running):
    srv = running()
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'GET / HTTP/1.0\r\n\r\n')
        out = read_all(s, 2)
    assert b'connection: close' in out and out.endswith(b'Hello, World!')
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
        first = s.recv(65536)
        assert b'connection: keep-alive' in first and first.endswith(b'Hello, World!')
        s.sendall(b'GET /users/4 HTTP/1.0\r\n\r\n')  # not asked again: closed after it
        out = read_all(s, 2)
    assert b'connection: close' in out and out.endswith(b'{"id":4}')


def test_head_on_a_streamed_response_claims_no_length(running):
    srv = running()
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /users/1 HTTP/1.1\r\nHost: a\r\n'
                  b'Connection: close\r\n\r\n')
        out = read_all(s)
    head, rest = out.split(b'\r\n\r\n', 1)
    assert head.startswith(b'HTTP/1.1 200') and b'content-length' not in head.lower(), head
    assert b'transfer-encoding' not in head.lower()
    assert rest.startswith(b'HTTP/1.1 200 OK') and rest.endswith(b'{"id":1}'), rest  # nothing between
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
        assert b'content-length: 13\r\n' in read_all(s)  # a whole body's length is known


def test_a_stalled_request_body_is_a_408_without_a_traceback(running, capfd):
    srv = running(Limits.for_cpython(body_timeout=0.5), access_log=True)
    start = time.monotonic()
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc')
        out = read_all(s)
    assert out.startswith(b'HTTP/1.1 408') and out.endswith(b'request body too slow'), out
    assert time.monotonic() - start < 3
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc')
        s.shutdown(socket.SHUT_WR)  # the client gives up half way
        assert read_all(s).startswith(b'HTTP/1.1 400')
    captured = capfd.readouterr()
    assert '408 (request body too slow)' in captured.out
    assert 'Traceback' not in captured.out + captured.err


def _server_sockets(port):
    """Connected sockets of this process whose local end is *port* (the
    server's side of each connection), from /proc."""
    inodes = set()
    for fd in os.listdir('/proc/self/fd'):
        try:
            link = os.readlink('/proc/self/fd/' + fd)
        except OSError:
            continue
        if link.startswith('socket:['):
            inodes.add(link[8:-1])
    count = 0
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(':')[1], 16)
            if local_port == port and fields[3] != '0A' and fields[9] in inodes:
                count += 1
    return count


def _unsent_bytes(loop):
    # What every transport of the server's loop still holds for its client.
    # (type(), not isinstance(): a dead weak proxy among the objects raises on the latter)
    return sum(t.get_write_buffer_size() for t in gc.get_objects()
               if issubclass(type(t), asyncio.WriteTransport) and getattr(t, '_loop', None) is loop
               and not t.is_closing())


def test_clients_that_stop_reading_are_closed_and_freed(running):
    # Each asks for a 64 MiB streamed response and never reads it. After the
    # write timeout the server must close the socket and drop the unsent body
    # (CPython's writer.close() alone keeps both until the client reads).
    srv = running(Limits.for_cpython(body_timeout=0.5, max_connections=64))
    clients = []
    for _ in range(10):
        s = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b'GET /big HTTP/1.1\r\nHost: a\r\n\r\n')
        clients.append(s)
    deadline = time.monotonic() + 3
    held = False  # all ten open, with bytes their clients have not taken
    while not held and time.monotonic() < deadline:
        time.sleep(0.02)
        held = _server_sockets(srv.port) == 10 and _unsent_bytes(srv.loop) > 0
    assert held
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and (srv.server.connections or _server_sockets(srv.port)):
        time.sleep(0.1)
    assert not srv.server.connections
    assert _server_sockets(srv.port) == 0, 'server sockets left open'
    assert _unsent_bytes(srv.loop) == 0
    for s in clients:
        s.close()


async def ws_echo_app(scope, receive, send):
    """A raw ASGI app: WebSocket echo, and 'ok' over plain HTTP."""
    if scope['type'] == 'websocket':
        await receive()
        await send({'type': 'websocket.accept'})
        while True:
            message = await receive()
            if message['type'] == 'websocket.disconnect':
                return
            await send({'type': 'websocket.send', 'text': message.get('text'),
                        'bytes': message.get('bytes')})
    elif scope['type'] == 'http':
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-length', b'2')]})
        await send({'type': 'http.response.body', 'body': b'ok'})


def test_idle_websockets_are_pinged_and_timed_out(running):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    srv = running(Limits.for_cpython(ws_ping_interval=0.3, ws_ping_timeout=0.4, ws_idle_timeout=1.5),
                  app=ws_echo_app)
    # A client that answers pings but sends nothing: closed as idle (1001).
    start = time.monotonic()
    with connect('ws://127.0.0.1:%d/ws' % srv.port, ping_interval=None) as ws:
        ws.send('hi')
        assert ws.recv(timeout=5) == 'hi'
        try:
            ws.recv(timeout=5)
        except ConnectionClosed as exc:
            assert exc.rcvd.code == 1001 and exc.rcvd.reason == 'idle timeout'
    assert 1.2 < time.monotonic() - start < 4
    # A client that went silent (answers nothing, not even a ping): pinged, then dropped (1011).
    s = websocket_upgrade(srv.port)
    assert s.recv(1000).startswith(b'HTTP/1.1 101')
    start = time.monotonic()
    assert s.recv(100) == b'\x89\x07plugdot'  # the server's ping
    assert time.monotonic() - start < 1.5
    rest = read_all(s)
    assert rest == b'\x88\x0e\x03\xf3ping timeout', rest  # close 1011
    s.close()
    deadline = time.monotonic() + 5
    while srv.server.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not srv.server.connections and srv.server.websockets == 0


def test_websockets_leave_room_for_plain_http(running):
    import pytest
    srv = running(Limits.for_cpython(max_connections=4), app=ws_echo_app)  # 2 WebSockets at most
    socks = [websocket_upgrade(srv.port) for _ in range(2)]
    for s in socks:
        assert s.recv(1000).startswith(b'HTTP/1.1 101')
    extra = websocket_upgrade(srv.port)
    assert read_all(extra).startswith(b'HTTP/1.1 503')  # a third WebSocket is refused...
    extra.close()
    for _ in range(3):  # ...and plain HTTP is still served
        with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
            s.sendall(b'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
            assert read_all(s).endswith(b'\r\n\r\nok')
    for s in socks:
        s.close()
    with pytest.raises(ValueError, match='max_websockets'):
        Limits(max_connections=4, max_websockets=4)
