"""The mpy-server under CPython: real sockets on 127.0.0.1, httpx, raw
sockets and h11 as a strict client."""
import socket
import subprocess
import threading
import time

import h11
import httpx
import pytest

from support import first_bytes_and_close

from plugdot_mpy_server import Limits


def h11_exchange(srv, method, target, headers=(), body=b''):
    """Send one request and validate the response with h11 as a strict client."""
    conn = h11.Connection(h11.CLIENT)
    headers = [('Host', '127.0.0.1')] + list(headers)
    if body:
        headers.append(('Content-Length', str(len(body))))
    data = conn.send(h11.Request(method=method, target=target, headers=headers))
    if body:
        data += conn.send(h11.Data(data=body))
    data += conn.send(h11.EndOfMessage())
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(data)
        response, chunks = None, []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(s.recv(65536))
                continue
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return response, b''.join(chunks)


def test_basic_requests_with_httpx(running):
    srv = running()
    with httpx.Client(base_url=srv.url, timeout=5) as c:
        assert c.get('/').text == 'Hello, World!'
        assert c.get('/users/5').json() == {'id': 5}
        assert c.post('/echo', content=b'x' * 5000).content == b'x' * 5000
        assert c.get('/stream').text == 'a' * 10 + 'b' * 10 + 'c' * 10
        assert c.get('/empty').status_code == 204
        assert c.get('/abort').status_code == 418
        assert c.get('/nope').status_code == 404
        # one connection served all of these (keep-alive)
    assert srv.server.rejected == 0


def test_responses_are_valid_http_for_a_strict_client(running):
    srv = running()
    for method, target, body, expect in [('GET', '/', b'', b'Hello, World!'),
                                         ('GET', '/stream', b'', b'a' * 10 + b'b' * 10 + b'c' * 10),
                                         ('HEAD', '/', b'', b''), ('GET', '/empty', b'', b''),
                                         ('POST', '/echo', b'abc', b'abc'),
                                         ('GET', '/boom', b'', b'Internal Server Error')]:
        response, got = h11_exchange(srv, method, target, body=body)
        assert got == expect, (method, target)
    response, _ = h11_exchange(srv, 'GET', '/stream')
    assert (b'transfer-encoding', b'chunked') in response.headers


def test_chunked_request_body_and_pipelining(running):
    srv = running()
    raw = (b'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
           b'3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'
           b'GET /users/1 HTTP/1.1\r\nHost: a\r\n\r\n'
           b'GET /users/2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    out = srv.raw(raw)
    assert out.count(b'HTTP/1.1 200 OK') == 3
    assert out.index(b'abcde') < out.index(b'{"id":1}') < out.index(b'{"id":2}')


def test_expect_100_continue(running):
    srv = running()
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n'
                  b'Expect: 100-continue\r\n\r\n')
        assert s.recv(100) == b'HTTP/1.1 100 Continue\r\n\r\n'
        s.sendall(b'data')
        assert s.recv(1000).endswith(b'\r\n\r\ndata')


def test_http10_client_gets_a_closed_connection(running):
    srv = running()
    out = srv.raw(b'GET /stream HTTP/1.0\r\n\r\n')
    assert out.startswith(b'HTTP/1.1 200 OK') and b'connection: close' in out
    assert b'transfer-encoding' not in out and out.endswith(b'c' * 10)


@pytest.mark.parametrize('raw,status,reason', [
    (b'GET / HTTP/1.1\r\n\r\n', 400, b'exactly one Host header'),
    (b'GARBAGE\r\n\r\n', 400, b'malformed request line'),
    (b'\x00\x01\x02\xff\xfe\r\n\r\n', 400, b'malformed request line'),
    (b'GET / HTTP/3.0\r\nHost: a\r\n\r\n', 505, b'HTTP version not supported'),
    (b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 400,
     b'both Content-Length and Transfer-Encoding'),
    (b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400,
     b'conflicting Content-Length'),
    (b'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n', 400,
     b'invalid chunk size'),
    (b'GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n', 400, b'malformed percent-escape'),
    (b'GET /%+1 HTTP/1.1\r\nHost: a\r\n\r\n', 400, b'malformed percent-escape'),
    (b'GET /%ff HTTP/1.1\r\nHost: a\r\n\r\n', 400, b'malformed percent-escape'),
    (b'GET /' + b'a' * 9000 + b' HTTP/1.1\r\nHost: a\r\n\r\n', 414, b'request line too long'),
])
def test_malformed_input_gets_status_and_close(running, raw, status, reason):
    srv = running()
    out = srv.raw(raw)
    assert out.startswith(b'HTTP/1.1 %d ' % status), out[:80]
    assert b'connection: close' in out
    body = out.split(b'\r\n\r\n', 1)[1]
    assert body.startswith(b'%d ' % status) and reason in body, out  # the body says why
    with httpx.Client(base_url=srv.url, timeout=5) as c:  # still serving
        assert c.get('/').status_code == 200


def test_limits_body_and_headers(running):
    srv = running(Limits(max_body_size=100, max_headers=10, max_header_size=1024))
    out = srv.raw(b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n' + b'x' * 101)
    assert out.startswith(b'HTTP/1.1 413')
    # a chunked body that grows past the limit is found while the app reads it: still 413
    out = srv.raw(b'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
                  b'40\r\n' + b'x' * 64 + b'\r\n40\r\n' + b'x' * 64 + b'\r\n0\r\n\r\n')
    assert out.startswith(b'HTTP/1.1 413') and out.endswith(
        b'request body too large: server limit Limits.max_body_size (100 bytes)'), out
    many = b''.join(b'X-%d: v\r\n' % i for i in range(11))
    assert srv.raw(b'GET / HTTP/1.1\r\nHost: a\r\n' + many + b'\r\n').startswith(b'HTTP/1.1 431')


def test_app_exception_is_500_and_server_keeps_serving(running):
    srv = running()
    with httpx.Client(base_url=srv.url, timeout=5) as c:
        for _ in range(3):
            r = c.get('/boom')
            assert r.status_code == 500 and 'app bug' not in r.text
        assert c.get('/').status_code == 200


def test_raw_asgi_app_errors(running):
    async def broken(scope, receive, send):
        if scope['type'] != 'http':
            raise RuntimeError('no lifespan')
        if scope['path'] == '/nothing':
            return
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'x-bad', b'a\r\nb')]})
        await send({'type': 'http.response.body', 'body': b'x'})
    srv = running(app=broken)
    assert srv.raw(b'GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n').startswith(b'HTTP/1.1 500')
    assert srv.raw(b'GET /bad HTTP/1.1\r\nHost: a\r\n\r\n').startswith(b'HTTP/1.1 500')


def test_slowloris_is_cut_off_and_others_are_served(running):
    srv = running(Limits.for_cpython(header_timeout=1.0, max_connections=20))
    socks = []
    for _ in range(10):
        s = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
        s.sendall(b'GET / HTTP/1.1\r\n')
        socks.append(s)
    start = time.monotonic()
    with httpx.Client(base_url=srv.url, timeout=5) as c:
        assert c.get('/').status_code == 200
    for _ in range(8):  # drip one byte at a time, well inside any per-read timeout
        for s in socks:
            try:
                s.sendall(b'X')
            except OSError:
                pass
        time.sleep(0.2)
    answers = first_bytes_and_close(socks)
    assert all(a.startswith(b'HTTP/1.1 408') or a == b'' for a in answers), answers
    assert time.monotonic() - start < 5
    deadline = time.monotonic() + 2
    while srv.server.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not srv.server.connections


def test_a_client_that_stops_reading_is_cut_off(running):
    # 64 MiB streamed to a client that never reads: the write blocks once the
    # socket buffers are full, and body_timeout (enforced by the watchdog)
    # closes the connection instead of holding it (and its memory) forever.
    srv = running(Limits.for_cpython(body_timeout=0.5, max_connections=4))
    s = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b'GET /big HTTP/1.1\r\nHost: a\r\n\r\n')
    deadline = time.monotonic() + 2
    while not srv.server.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    assert srv.server.connections  # writing, blocked on the full socket
    deadline = time.monotonic() + 5
    while srv.server.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not srv.server.connections  # closed, though the client never read
    with httpx.Client(base_url=srv.url, timeout=5) as c:
        assert c.get('/').text == 'Hello, World!'
    s.close()


def test_connection_cap_half_open_flood_then_normal_service(running):
    srv = running(Limits.for_cpython(max_connections=5, header_timeout=1.0, backlog=64))
    idle = [socket.create_connection(('127.0.0.1', srv.port), timeout=5) for _ in range(5)]
    time.sleep(0.2)
    extra = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
    t0 = time.monotonic()
    assert extra.recv(100).startswith(b'HTTP/1.1 503')  # refused quickly, never hung
    assert time.monotonic() - t0 < 2
    extra.close()
    flood = []
    for _ in range(150):
        try:
            flood.append(socket.create_connection(('127.0.0.1', srv.port), timeout=5))
        except OSError:
            pass
    for s in flood:
        s.close()
    for s in idle:
        s.close()
    deadline = time.monotonic() + 5
    ok = False
    while time.monotonic() < deadline and not ok:
        try:
            ok = httpx.get(srv.url + '/', timeout=2).status_code == 200
        except httpx.HTTPError:
            time.sleep(0.1)
    assert ok and srv.server.rejected >= 1


def test_graceful_shutdown_finishes_in_flight_requests(running):
    srv = running()
    result = {}

    def slow():
        result['r'] = httpx.get(srv.url + '/slow?s=0.5', timeout=5)
    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5  # until the request is in flight (httpx may take a while to connect)
    while not any(not c.idle for c in srv.server.connections) and time.monotonic() < deadline:
        time.sleep(0.01)
    srv.stop()
    t.join(5)
    assert result['r'].status_code == 200 and result['r'].text == 'slow done'
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', srv.port), timeout=1)


def test_lifespan_and_access_log(running, capfd):
    from plugdot import App
    app = App(plugins=[])
    events = []

    @app.on_startup
    def up():
        events.append('up')

    @app.on_shutdown
    def down():
        events.append('down')

    @app.get('/')
    async def index(request):
        return 'x'

    srv = running(app=app, access_log=True)
    assert events == ['up']
    httpx.get(srv.url + '/?a=1', timeout=5)
    srv.raw(b'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n')
    srv.stop()
    assert events == ['up', 'down']
    out = capfd.readouterr().out
    assert '"GET / HTTP/1.1" 200 1' in out
    assert '"-" 400 (invalid Content-Length)' in out  # refused requests are logged too


def test_tls(running, tmp_path):
    import ssl
    key, cert = tmp_path / 'key.pem', tmp_path / 'cert.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(key),
                    '-out', str(cert), '-days', '1', '-subj', '/CN=127.0.0.1'],
                   check=True, capture_output=True, timeout=60)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    srv = running(ssl=context)
    r = httpx.get(srv.url + '/users/3', verify=False, timeout=5)
    assert r.json() == {'id': 3} and srv.url.startswith('https://')


def test_plugdot_run_server_mpy(serve_mpy):
    with httpx.Client(base_url=serve_mpy, timeout=5) as c:
        assert c.get('/add/2/3').json() == {'a': 2, 'b': 3, 'sum': 5}


def test_lifespan_failure_stops_start_and_apps_without_lifespan_still_start():
    import asyncio

    from plugdot import App

    from plugdot_mpy_server import Server

    app = App(plugins=[])

    @app.on_startup
    def up():
        raise ValueError('no sensor')

    async def no_lifespan(scope, receive, send):
        assert scope['type'] == 'http', 'lifespan is not supported'

    async def main():
        with pytest.raises(RuntimeError, match='lifespan startup failed: .*no sensor'):
            await Server(app).start('127.0.0.1', 0)
        server = await Server(no_lifespan).start('127.0.0.1', 0)
        await server.stop()  # neither start nor stop waits for an answer that never comes
        return True

    assert asyncio.run(asyncio.wait_for(main(), 10))


def test_a_plugdot_app_shuts_down_once_and_only_after_its_startup():
    """A plugdot App's lifespan is awaited directly (no task held for the
    server's life): shutdown hooks run once, and not after a failed startup."""
    import asyncio

    from plugdot import App

    from plugdot_mpy_server import Server

    events = []
    app = App(plugins=[])
    app.on_startup(lambda: events.append('up'))
    app.on_shutdown(lambda: events.append('down'))
    refusing = App(plugins=[])

    @refusing.on_startup
    def up():
        raise ValueError('no sensor')
    refusing.on_shutdown(lambda: events.append('refusing down'))

    async def main():
        server = await Server(app).start('127.0.0.1', 0)
        await server.stop()
        await server.stop()
        other = Server(refusing)
        with pytest.raises(RuntimeError, match='lifespan startup failed: ValueError: no sensor'):
            await other.start('127.0.0.1', 0)
        await other.stop()
        return events

    assert asyncio.run(asyncio.wait_for(main(), 10)) == ['up', 'down']


def test_a_connection_lost_to_memory_error_frees_its_slot(running, monkeypatch):
    # A MemoryError inside a connection drops it; its place under
    # max_connections must come back, or after `max_connections` such errors
    # every client gets a 503 for ever (found by the outside-in trial of a
    # board at 64 KB of heap).
    from plugdot_mpy_server import server as server_module
    real_run, failures = server_module.Connection.run, []

    async def run_out_of_memory_first(conn):
        if len(failures) < 6:
            failures.append(conn)
            raise MemoryError
        return await real_run(conn)
    monkeypatch.setattr(server_module.Connection, 'run', run_out_of_memory_first)
    srv = running(Limits.for_cpython(max_connections=3))
    for _ in range(6):
        with pytest.raises(httpx.HTTPError):  # dropped: no answer
            httpx.get(srv.url + '/', timeout=5)
        time.sleep(0.05)  # the server has closed it and freed its slot
    assert len(failures) == 6
    assert [httpx.get(srv.url + '/', timeout=5).status_code for _ in range(4)] == [200] * 4
    deadline = time.monotonic() + 5  # the last client's close reaches the server soon after
    while srv.server.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not srv.server.connections


def test_a_plugdot_app_is_called_directly_and_answers_as_through_its_asgi_call(running,
                                                                               make_demo_app):
    """The server calls a plugdot App without its ASGI call (App.respond,
    Response.send, App.send_failed: docs/architecture.md); an App whose
    class overrides __call__ and any other app go through ASGI. Both paths
    answer byte for byte alike: statuses, headers, framing, HEAD, streams,
    bodies, errors, a response that fails while sent, and keep-alive."""
    from plugdot import App, Response
    demo_app = make_demo_app

    class Wrapped(App):  # an ASGI middleware in the App's own __call__
        async def __call__(self, scope, receive, send):
            if scope['type'] == 'http':
                scope['plugdot.wrapped'] = True
            await App.__call__(self, scope, receive, send)

    def app(cls):
        app = demo_app(cls)

        @app.get('/bad-header')
        async def bad_header(request):  # fails in Response.send: a 500, on both paths
            return Response('x', headers={'X-Bad': 'a\r\nb'})

        @app.get('/scope')
        async def scope(request):
            return sorted(k for k in request.scope if k != 'plugdot.wrapped')
        return app

    direct, wrapped = running(app=app(App)), running(app=app(Wrapped))
    assert direct.server.direct and not wrapped.server.direct
    requests = (b'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
                b'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /users/7?x=1 HTTP/1.1\r\nHost: a\r\n\r\n'
                b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
                b'PUT /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
                b'3\r\nabc\r\n0\r\n\r\n'
                b'GET /stream HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /empty HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /abort HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n'
                b'DELETE / HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /scope HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /boom HTTP/1.1\r\nHost: a\r\n\r\n'
                b'GET /bad-header HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    got = direct.raw(requests)
    assert got == wrapped.raw(requests)
    assert got.count(b'HTTP/1.1 ') == 13  # every pipelined request answered, in order
    assert b'\r\n\r\nhello' in got and b'\r\n\r\nabc' in got and b'a\r\naaaaaaaaaa\r\n' in got
    assert b'HTTP/1.1 405' in got and b'HTTP/1.1 418' in got and b'HTTP/1.1 404' in got
    assert got.rstrip().endswith(b'Internal Server Error')
    # The scope leaves root_path and an unknown server to their ASGI defaults.
    assert (b'["asgi","client","headers","http_version","method","path","query_string",'
            b'"raw_path","scheme","server","type"]') in got


def _log_lines(capfd, out, want, timeout=5):
    """Read captured stdout into *out* until it holds *want* lines with '"GET'."""
    deadline = time.monotonic() + timeout
    while True:
        out.append(capfd.readouterr().out)
        lines = [line for line in ''.join(out).splitlines() if '"GET' in line]
        if len(lines) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.parametrize('kind', ['direct', 'asgi'])
def test_a_response_cut_short_is_logged_with_the_bytes_sent(running, make_demo_app, capfd, kind):
    """Every request gets its access-log line, also a streamed response that
    fails after its first item, or whose client leaves mid-stream or never
    reads: the status sent, the body bytes written, and why it was cut short
    (docs/mpy-server.md). On both paths: the App called directly, and
    through its ASGI call."""
    import asyncio

    from plugdot import App

    class Wrapped(App):  # an ASGI middleware: the server goes through ASGI
        async def __call__(self, scope, receive, send):
            await App.__call__(self, scope, receive, send)

    app = make_demo_app(App if kind == 'direct' else Wrapped)

    @app.get('/fails')
    async def fails(request):
        def items():
            yield 'a' * 10
            raise RuntimeError('stream bug')
        return items()

    @app.get('/endless')
    async def endless(request):
        async def items():
            while True:
                yield 'e' * 10
                await asyncio.sleep(0.02)
        return items()

    srv = running(Limits.for_cpython(body_timeout=0.5), app=app, access_log=True)
    assert srv.server.direct == (kind == 'direct')
    capfd.readouterr()
    out = []
    got = srv.raw(b'GET /fails HTTP/1.1\r\nHost: a\r\n\r\n')
    assert got.startswith(b'HTTP/1.1 200') and b'a' * 10 in got
    assert _log_lines(capfd, out, 1)[-1].endswith('"GET /fails HTTP/1.1" 200 10 cut short (app error)')

    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(b'GET /endless HTTP/1.1\r\nHost: a\r\n\r\n')
        first = s.recv(4096)
        assert first.startswith(b'HTTP/1.1 200')
    line = _log_lines(capfd, out, 2)[-1]
    assert '"GET /endless HTTP/1.1" 200 ' in line and line.endswith(' cut short (client left)'), line
    assert int(line.split()[-5]) % 10 == 0

    # A download the client never reads: not logged as 200 and the full 64 MiB.
    s = socket.create_connection(('127.0.0.1', srv.port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b'GET /big HTTP/1.1\r\nHost: a\r\n\r\n')
    line = _log_lines(capfd, out, 3, timeout=10)[-1]
    s.close()
    assert '"GET /big HTTP/1.1" 200 ' in line and line.endswith(' cut short (client left)'), line
    assert int(line.split()[-5]) < 64 * 1024 * 1024

    got = srv.raw(b'GET /stream HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    assert _log_lines(capfd, out, 4)[-1].endswith('"GET /stream HTTP/1.1" 200 30')


def test_a_raw_asgi_app_cut_short_is_logged(running, capfd):
    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'abc', 'more_body': True})
        raise RuntimeError('stream bug')
    srv = running(app=app, access_log=True)
    capfd.readouterr()
    assert srv.raw(b'GET /x HTTP/1.1\r\nHost: a\r\n\r\n').startswith(b'HTTP/1.1 200')
    out = []
    assert _log_lines(capfd, out, 1)[-1].endswith('"GET /x HTTP/1.1" 200 3 cut short (app error)')


@pytest.mark.parametrize('watcher', ['left waiting', 'cancelled', 'same task'])
def test_receive_after_the_body_never_takes_the_next_request(running, watcher):
    # ASGI: after the body, receive() waits for the client to leave, and
    # answers http.disconnect once the response is sent. A disconnect
    # watcher still reading when the response ends (left waiting, or
    # cancelled as plugdot-static does) must not cost the kept-alive
    # connection its next request, sent later or pipelined.
    import asyncio
    seen = []

    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        task = None
        if watcher != 'same task':
            async def watch():
                while (await receive())['type'] != 'http.disconnect':
                    pass
                seen.append('disconnect')
            task = asyncio.ensure_future(watch())
            await asyncio.sleep(0.05)  # the watcher now reads the socket
        body = scope['path'].encode()
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-length', b'%d' % len(body))]})
        await send({'type': 'http.response.body', 'body': body})
        if watcher == 'cancelled':
            task.cancel()
        elif watcher == 'same task':
            while (await receive())['type'] != 'http.disconnect':
                pass
            seen.append('disconnect')
    srv = running(app=app)
    get = b'GET /%s HTTP/1.1\r\nHost: a\r\n\r\n'
    with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
        s.sendall(get % b'one')
        time.sleep(0.3)
        s.sendall(get % b'two')
        time.sleep(0.3)
        s.sendall(get % b'three' + get % b'four')
        out = b''
        while out.count(b'HTTP/1.1 200') < 4:
            try:
                got = s.recv(65536)
            except socket.timeout:
                break
            if not got:
                break
            out += got
    assert [part[-5:].lstrip(b'\n/') for part in out.split(b'HTTP/1.1 200')[1:]] == [
        b'one', b'two', b'three', b'four'], out
    if watcher != 'cancelled':
        assert seen[:3] == ['disconnect'] * 3
