"""plugdot-mpy-server under the real MicroPython unix port, talked to from
CPython over 127.0.0.1. The process must survive everything thrown at it."""
import concurrent.futures
import pathlib
import socket
import subprocess
import time

import httpx
import pytest
from support import (first_bytes_and_close, free_port, micropython, send_and_read, wait_for_port,
                     websocket_upgrade)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVE = ROOT / 'tests' / 'mpy' / 'serve_demo.py'


def start(heap, cap=4, lib=ROOT, header_timeout=1.0, exe=None):
    port = free_port()
    proc = subprocess.Popen([exe or micropython(), '-X', 'heapsize=%s' % heap, str(SERVE), str(lib),
                             str(port), str(cap), str(header_timeout)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
    except AssertionError:
        proc.kill()
        raise
    return proc, 'http://127.0.0.1:%d' % port, port


@pytest.fixture(scope='module')
def mpy_server(micropython_exe):
    # From source, with the WebSocket plugin, the stack needs this much heap
    # on the unix port (see bench/README.md for the compiled sizes).
    proc, url, port = start('512k', exe=micropython_exe)
    yield url, port, proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


raw = send_and_read


def test_requests_keep_alive_and_chunked(mpy_server):
    url, port, proc = mpy_server
    with httpx.Client(base_url=url, timeout=5) as c:
        for i in range(20):
            assert c.get('/users/%d' % i).json() == {'id': i}
        assert c.get('/').text == 'Hello, World!'
        assert c.post('/echo', content=b'z' * 3000).content == b'z' * 3000

        def gen():
            yield b'abc'
            yield b'def'
        assert c.post('/echo', content=gen()).content == b'abcdef'  # chunked request body
        # the unix port gives the peer as a raw sockaddr: decoded, not None
        assert c.get('/client').json()['client'][0] == '127.0.0.1'
    out = raw(port, b'GET /users/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: a\r\n'
                    b'Connection: close\r\n\r\n')
    assert out.count(b'200 OK') == 2 and out.endswith(b'{"id":2}')


def test_response_heads_around_the_servers_buffer(mpy_server):
    # On a board the head is written into the server's one buffer (read_size,
    # 512 here) and the body after it when it fits; a head that does not fit
    # goes as bytes. Every size around the edges arrives whole, in order.
    url, port, proc = mpy_server
    with httpx.Client(base_url=url, timeout=5) as c:
        for pad, body in ((0, 0), (300, 100), (350, 150), (400, 200), (380, 3000),
                          (600, 10), (2000, 0), (2000, 5000)):
            r = c.get('/sized/%d/%d' % (pad, body))
            assert r.status_code == 200 and r.headers['x-pad'] == 'p' * pad
            assert r.text == 'b' * body and r.headers['content-length'] == str(body)
        # the head and body that fill the buffer exactly, and one byte more
        head = len(raw(port, b'GET /sized/100/0 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'))
        for body in range(512 - head - 4, 512 - head + 3):  # (its Content-Length grows a digit)
            out = raw(port, b'GET /sized/100/%d HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
                      % body)
            assert out.endswith(b'\r\n\r\n' + b'b' * body) and out.count(b'HTTP/1.1 200') == 1


@pytest.mark.parametrize('data,status', [
    (b'BAD\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 999999\r\n\r\n', 413),
    (b'GET /' + b'a' * 2000 + b' HTTP/1.1\r\n', 414),
    (b'\xff\xfe\x00garbage\r\n\r\n', 400),
    # overlong UTF-8 and a surrogate, percent-encoded: MicroPython's decoder lets them by
    (b'GET /%C0%AF HTTP/1.1\r\nHost: a\r\n\r\n', 400),
    (b'GET /users/%ED%A0%80 HTTP/1.1\r\nHost: a\r\n\r\n', 400),
])
def test_malformed_input(mpy_server, data, status):
    url, port, proc = mpy_server
    assert raw(port, data).startswith(b'HTTP/1.1 %d' % status)
    assert httpx.get(url + '/', timeout=5).status_code == 200
    assert proc.poll() is None


def test_concurrent_connections_past_the_cap():
    # A head timeout of 5 s, not the fixture's 1 s: 40 client threads on a
    # loaded machine can take longer than 1 s between connecting and sending,
    # and a connection silent that long is rightly closed without an answer.
    proc, url, port = start('512k', header_timeout=5.0)
    try:
        _past_the_cap(url, proc)
    finally:
        proc.terminate()
        proc.wait(10)


def _past_the_cap(url, proc):
    def one(_):
        try:
            return httpx.get(url + '/users/7', timeout=10).status_code
        except httpx.HTTPError as exc:
            return type(exc).__name__
    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(one, range(100)))
    assert set(codes) <= {200, 503}, codes
    assert codes.count(200) >= 4
    assert proc.poll() is None
    assert httpx.get(url + '/', timeout=5).status_code == 200


def test_slowloris_and_half_open_connections(mpy_server):
    url, port, proc = mpy_server
    socks = [socket.create_connection(('127.0.0.1', port), timeout=5) for _ in range(4)]
    for s in socks:
        s.sendall(b'GET / HTTP/1.1\r\n')
    time.sleep(1.5)  # header_timeout is 1 s: all four are answered 408 and closed
    answers = first_bytes_and_close(socks)
    assert all(a.startswith(b'HTTP/1.1 408') or a == b'' for a in answers), answers
    assert httpx.get(url + '/', timeout=5).status_code == 200


def test_heap_stays_flat_over_many_requests(mpy_server):
    url, port, proc = mpy_server
    with httpx.Client(base_url=url, timeout=5) as c:
        before = c.get('/mem').json()['alloc']
        for i in range(300):
            c.get('/users/%d' % i)
        after = c.get('/mem').json()['alloc']
    assert after - before < 4096, (before, after)


def test_websocket_under_micropython(mpy_server):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    url, port, proc = mpy_server
    ws_url = url.replace('http://', 'ws://') + '/ws'
    with connect(ws_url, open_timeout=5, close_timeout=5) as ws:
        ws.send('hello board')
        assert ws.recv(timeout=5) == 'hello board'
        ws.send(b'\x00\x01\x02')
        assert ws.recv(timeout=5) == b'\x00\x01\x02'
        ws.send(['frag', 'mented'])
        assert ws.recv(timeout=5) == 'fragmented'
        ws.send('k' * 4096)  # the board's default max_ws_message
        assert ws.recv(timeout=5) == 'k' * 4096
        pong = ws.ping(b'are you there')
        assert pong.wait(5)
        ws.send('close-please')
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd.code == 4001
    with connect(ws_url, open_timeout=5, max_size=None) as ws:
        ws.send('m' * 20000)  # over the board's 4 KiB message limit
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd.code == 1009
    assert proc.poll() is None and httpx.get(url + '/', timeout=5).status_code == 200


def test_a_full_heap_kills_no_server_task(micropython_exe, mpy_lane):
    # /hog fills the heap and holds it for a second while clients connect:
    # the accept loop, the timeout watchdog and the scheduler itself (on a
    # 32-bit unix port its poll allocates) hit MemoryError meanwhile. Every
    # task survives it: afterwards requests are served and timeouts still fire.
    # The pip wheel's MicroPython 1.28 itself crashes in select.poll now and
    # then (SIGSEGV, ~1 in 30 runs, not seen with the 1.29 source of the
    # 32-bit lane): on that lane only a crash of the interpreter gets a
    # second run; any other failure, or a second crash, fails.
    crashed = fill_the_heap_then_serve(micropython_exe)
    if crashed and mpy_lane == 'pip':
        crashed = fill_the_heap_then_serve(micropython_exe)
    assert not crashed, 'MicroPython crashed: %s' % crashed


def fill_the_heap_then_serve(exe):
    """Run the full-heap scenario; the interpreter's output if it died of a
    signal (a crash, not the server's doing), else None."""
    proc, url, port = start('512k', exe=exe)
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            hog = pool.submit(httpx.get, url + '/hog?s=1', timeout=10)
            time.sleep(0.3)

            def during(_):
                try:
                    return httpx.get(url + '/', timeout=1.5).status_code
                except httpx.HTTPError as exc:
                    return type(exc).__name__
            list(pool.map(during, range(3)))  # anything goes while the heap is full
            try:  # the hog's own answer too: a MemoryError may close its connection
                hog.result(10)
            except httpx.HTTPError:
                pass
        if proc.poll() is not None and proc.returncode < 0:
            return proc.communicate()[0].decode(errors='replace')[-2000:] or 'signal %d' % -proc.returncode
        with httpx.Client(base_url=url, timeout=5) as c:
            for _ in range(5):
                assert c.get('/').status_code == 200
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        s.sendall(b'GET / HTTP/1.1\r\n')  # the watchdog still cuts a slow head off
        assert s.recv(100).startswith(b'HTTP/1.1 408')
        s.close()
        assert proc.poll() is None
        return None
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_server_under_micropython_agrees_with_h11():
    from http_corpus import CASES, STRICTER, h11_verdict, server_verdict
    port = free_port()
    proc = subprocess.Popen([micropython(), str(ROOT / 'tests' / 'mpy' / 'serve_echo.py'), str(ROOT),
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        for raw in CASES:
            assert server_verdict(port, raw) == h11_verdict(raw), raw
        for raw, why in STRICTER:
            requests, refused = server_verdict(port, raw)
            assert refused and len(requests) < len(h11_verdict(raw)[0]), why
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)


def test_silent_websockets_are_dropped_and_leave_room_for_http(mpy_server):
    url, port, proc = mpy_server  # 4 connections: 2 WebSockets at most
    socks = [websocket_upgrade(port) for _ in range(2)]
    for s in socks:
        assert s.recv(1000).startswith(b'HTTP/1.1 101')
    extra = websocket_upgrade(port)
    assert extra.recv(1000).startswith(b'HTTP/1.1 503')
    extra.close()
    assert httpx.get(url + '/', timeout=5).status_code == 200
    start = time.monotonic()
    for s in socks:  # silent clients: pinged after 1 s, dropped (1011) after another
        got = b''
        while len(got) < 25:
            got += s.recv(100)
        assert got == b'\x89\x07plugdot' + b'\x88\x0e\x03\xf3ping timeout'
        s.close()
    assert time.monotonic() - start < 5
    assert proc.poll() is None and httpx.get(url + '/', timeout=5).status_code == 200


def test_deeply_nested_json_is_a_400_under_micropython(mpy_server):
    url, port, proc = mpy_server
    headers = {'content-type': 'application/json'}
    with httpx.Client(base_url=url, timeout=5) as c:
        assert c.post('/json', content=b'[' * 32 + b']' * 32, headers=headers).json() == {'type': 'list'}
        for depth in (33, 8000):  # the board's default limit is 32; 8000 would fill the heap
            r = c.post('/json', content=b'[' * depth + b']' * depth, headers=headers)
            assert r.status_code == 400 and 'nested deeper than 32 levels' in r.text, r.text
        assert c.get('/').status_code == 200
    assert proc.poll() is None


def test_a_stalled_body_is_a_408_and_a_bare_lf_head_a_400_under_micropython(mpy_server):
    url, port, proc = mpy_server
    start = time.monotonic()
    out = raw(port, b'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc', timeout=5)
    assert out.startswith(b'HTTP/1.1 408') and out.endswith(b'request body too slow'), out
    assert time.monotonic() - start < 4.5  # body_timeout is 2 s
    out = raw(port, b'GET / HTTP/1.1\nHost: a\n\n', timeout=5)
    assert out.startswith(b'HTTP/1.1 400') and b'bare LF' in out, out
    assert proc.poll() is None and httpx.get(url + '/', timeout=5).status_code == 200


CUT_SHORT = '''
import sys
sys.path.insert(0, %(root)r + '/packages/core/src')
sys.path.insert(0, %(root)r + '/packages/mpy-server/src')
import asyncio
from plugdot import App
from plugdot_mpy_server import serve

app = App(plugins=[])


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


@app.get('/')
async def index(request):
    return 'hi'

serve(app, '127.0.0.1', %(port)d, access_log=True)
'''


@pytest.mark.timeout(60)  # a line that never comes blocks readline
def test_a_response_cut_short_is_logged_under_micropython(tmp_path, micropython_exe):
    """The access log has a line for every request on the board too: a
    stream that fails after its first item, and one the client leaves
    (docs/mpy-server.md)."""
    port = free_port()
    script = tmp_path / 'cut_short.py'
    script.write_text(CUT_SHORT % {'root': str(ROOT), 'port': port})
    proc = subprocess.Popen([micropython_exe, '-X', 'heapsize=512k', str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = []
    try:
        wait_for_port(port, proc)
        assert raw(port, b'GET /fails HTTP/1.1\r\nHost: a\r\n\r\n').startswith(b'HTTP/1.1 200')
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            s.sendall(b'GET /endless HTTP/1.1\r\nHost: a\r\n\r\n')
            assert s.recv(4096).startswith(b'HTTP/1.1 200')
        # the server sees the client gone at its next write: the line comes then
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any('/endless' in line for line in out):
            out.append(proc.stdout.readline().decode())
        assert httpx.get('http://127.0.0.1:%d/' % port, timeout=5).text == 'hi'
        out.append(proc.stdout.readline().decode())
        assert proc.poll() is None
    finally:
        proc.terminate()
        out.append(proc.communicate(timeout=10)[0].decode())
    out = ''.join(out)
    lines = [line for line in out.splitlines() if '"GET' in line]
    assert len(lines) == 3, out
    assert lines[0].endswith('"GET /fails HTTP/1.1" 200 10 cut short (app error)'), out
    assert '"GET /endless HTTP/1.1" 200 ' in lines[1], out
    assert lines[1].endswith(' cut short (client left)'), out
    assert lines[2].endswith('"GET / HTTP/1.1" 200 2'), out
