"""plugdot-sse end to end with a real HTTP client: under hypercorn, uvicorn
and the mpy-server on CPython, and under the mpy-server on MicroPython with
the app bundled by `plugdot bundle --plugin sse`."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from support import ROOT, free_port, micropython, start_server, stop

from plugdot._eventstream import EventParser

APP = '''
import asyncio
from plugdot import App
from plugdot_sse import open_streams, with_sse

# No keep-alive for a minute: a departure must be seen without writing to the socket.
app = App(config={'sse_max_streams': 3, 'sse_ping_interval': 60, 'sse_retry_after': 9})
fast = App(config={'sse_ping_interval': 0.3, 'sse_queue_size': 4, 'sse_send_timeout': 0.5})
STATS = {'cleanups': 0, 'evicted': 0, 'relaying': 0}


@app.get('/ticks')
@with_sse
async def ticks(request, sse):
    n = int(request.query.get('n', '0'))  # 0: forever
    try:
        i = int(sse.last_event_id or -1) + 1
        while not n or i < n:
            await sse.send({'i': i}, event='tick', id=str(i))
            i += 1
            await asyncio.sleep(0.02)
    finally:
        STATS['cleanups'] += 1


@app.get('/idle')
@fast.get('/idle')
@with_sse
async def idle(request, sse):
    try:
        await sse.send('hi')
        while True:
            await asyncio.sleep(10)
    finally:
        STATS['cleanups'] += 1


@app.get('/text')
@with_sse
async def text(request, sse):
    await sse.send('line1\\r\\nline2\\rline3\\nline4', id='a')
    await sse.send('h\\u00e9llo \\u2603', event='uni')
    await sse.send('')
    try:
        await sse.send('x', event='evil\\nid: 1')
    except ValueError:
        await sse.send('refused')


@fast.get('/flood')
@with_sse
async def flood(request, sse):
    try:
        while True:
            await sse.send('x' * 1000)
    finally:
        STATS['evicted'] += sse.evicted
        STATS['cleanups'] += 1


@app.get('/relay')
@with_sse
async def relay(request, sse):
    async with app.broadcast.subscribe('t', last_id=sse.last_event_id) as messages:
        STATS['relaying'] += 1
        await sse.forward(messages, event='t')


@app.post('/publish')
async def publish(request):
    return {'id': await app.broadcast.publish('t', request.json)}


@app.get('/stats')
async def stats(request):
    return {'cleanups': STATS['cleanups'], 'evicted': STATS['evicted'], 'relaying': STATS['relaying'],
            'open': len(open_streams(app) + open_streams(fast))}


app.mount(fast, '/fast')
'''


@pytest.fixture(scope='module', params=['hypercorn', 'uvicorn', 'mpy', 'micropython'])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp('sseapp')
    (folder / 'sseapp.py').write_text(APP)
    port = free_port()
    env = None
    if request.param == 'micropython':
        out = folder / 'board'
        done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(folder / 'sseapp.py'),
                               '-o', str(out), '--plugin', 'sse', '--plugin', 'broadcast'], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (out / 'plugdot_sse' / 'stream.mpy').exists()
        assert (out / 'plugdot_broadcast' / 'memory.mpy').exists()
        assert not (out / 'plugdot_broadcast' / 'redis.mpy').exists()
        env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
        command, cwd = [micropython(), '-X', 'heapsize=256k', 'main.py'], out
    elif request.param == 'uvicorn':
        command = [sys.executable, '-m', 'uvicorn', '--app-dir', str(folder), 'sseapp:app',
                   '--port', str(port), '--log-level', 'warning']
        cwd = ROOT
    else:
        command = [sys.executable, '-m', 'plugdot.cli', 'run', str(folder / 'sseapp.py') + ':app',
                   '--port', str(port), '--server', request.param]
        cwd = ROOT
    proc = start_server(command, port, cwd=cwd, env=env)
    yield 'http://127.0.0.1:%d' % port, proc
    stop(proc)
    out = proc.stdout.read().decode(errors='replace')
    assert 'Traceback' not in out and 'Exception in ASGI' not in out, out[-3000:]


def read_events(url, count, headers=None, timeout=5):
    """Open the stream, read *count* events, disconnect; return (response, events, raw)."""
    parser, events, raw = EventParser(), [], b''
    with httpx.stream('GET', url, headers=headers, timeout=timeout) as r:
        if r.status_code != 200:
            r.read()
            return r, [], r.content
        for piece in r.iter_raw():
            raw += piece
            events += parser.feed(piece.decode('utf-8'))
            if len(events) >= count:
                break
    return r, events, raw


def stats(base):
    return httpx.get(base + '/stats', timeout=5).json()


def wait_for_cleanups(base, expected, timeout=3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = stats(base)
        if now['cleanups'] >= expected and now['open'] == 0:
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError('the handler did not learn its client left: %r' % stats(base))


def test_events_headers_and_framing(server):
    base, _ = server
    r, events, raw = read_events(base + '/text', 4)
    assert r.headers['content-type'] == 'text/event-stream; charset=utf-8'
    assert r.headers['cache-control'] == 'no-store' and r.headers['x-accel-buffering'] == 'no'
    assert [(e.event, e.data, e.id) for e in events] == [
        ('message', 'line1\nline2\nline3\nline4', 'a'), ('uni', 'h\u00e9llo \u2603', 'a'),
        ('message', '', 'a'), ('message', 'refused', 'a')]
    assert b'evil' not in raw


def test_disconnect_runs_the_handler_cleanup(server):
    base, proc = server
    before = stats(base)['cleanups']
    for path in ('/ticks', '/idle'):
        r, events, _ = read_events(base + path, 3 if path == '/ticks' else 1)
        left = time.monotonic()
        if path == '/ticks':
            assert [e.json()['i'] for e in events[:3]] == [0, 1, 2]
        before += 1
        seen = wait_for_cleanups(base, before)
        assert seen - left < 2.0, 'cleanup took %.2f s' % (seen - left)
    assert proc.poll() is None


def test_resume_from_last_event_id(server):
    base, _ = server
    r, events, _ = read_events(base + '/ticks?n=5', 2, headers={'Last-Event-ID': '2'})
    assert [e.id for e in events[:2]] == ['3', '4']


def test_broadcast_relay_and_resume(server):
    base, _ = server
    got = []

    def listen(headers=None, count=3):
        got.append(read_events(base + '/relay', count, headers=headers))
    import threading
    subscribed = stats(base)['relaying']
    reader = threading.Thread(target=listen)
    reader.start()
    deadline = time.monotonic() + 5
    while stats(base)['relaying'] == subscribed:  # the handler has subscribed
        assert time.monotonic() < deadline
        time.sleep(0.02)
    ids = [httpx.post(base + '/publish', json={'n': n}, timeout=5).json()['id'] for n in range(5)]
    reader.join(5)
    _, events, _ = got[0]
    assert [(e.event, e.json(), e.id) for e in events] == [('t', {'n': n}, ids[n]) for n in range(3)]
    # reconnecting with the last id it got, the client gets 3 and 4 from the history
    _, events, _ = read_events(base + '/relay', 2, headers={'Last-Event-ID': ids[2]})
    assert [e.json()['n'] for e in events] == [3, 4]
    _, events, _ = read_events(base + '/relay', 1, headers={'Last-Event-ID': 'nonsense'})
    assert events[0].event == 'resync'
    wait_for_cleanups(base, 0)


def test_a_client_that_stops_reading_is_evicted(server):
    base, proc = server
    before = stats(base)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(('127.0.0.1', int(base.rsplit(':', 1)[1])))
        s.sendall(b'GET /fast/flood HTTP/1.1\r\nHost: x\r\n\r\n')
        deadline = time.monotonic() + 15  # the socket buffers fill, then 0.5 s of sse_send_timeout
        while stats(base)['evicted'] == before['evicted']:
            assert time.monotonic() < deadline, stats(base)
            time.sleep(0.1)
    wait_for_cleanups(base, before['cleanups'] + 1)
    assert proc.poll() is None and httpx.get(base + '/stats', timeout=5).status_code == 200


def test_keep_alive_comments_on_the_wire(server):
    base, _ = server
    with socket.create_connection(('127.0.0.1', int(base.rsplit(':', 1)[1])), timeout=5) as s:
        s.sendall(b'GET /fast/idle HTTP/1.1\r\nHost: x\r\n\r\n')
        got = b''
        deadline = time.monotonic() + 3
        while got.count(b':\n\n') < 4 and time.monotonic() < deadline:
            got += s.recv(4096)
    assert b'data: hi' in got and got.count(b':\n\n') >= 4, got  # the opening comment, then pings
    wait_for_cleanups(base, 0)


def test_stream_cap_answers_503_with_retry_after(server):
    base, proc = server
    wait_for_cleanups(base, 0)
    streams = [httpx.stream('GET', base + '/idle', timeout=5) for _ in range(3)]
    opened = [s.__enter__() for s in streams]
    try:
        assert all(r.status_code == 200 for r in opened)
        deadline = time.monotonic() + 3
        while stats(base)['open'] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        r = httpx.get(base + '/idle', timeout=5)
        assert r.status_code == 503 and r.headers['retry-after'] == '9'
    finally:
        for s in streams:
            s.__exit__(None, None, None)
    wait_for_cleanups(base, 0)
    r, events, _ = read_events(base + '/idle', 1)
    assert r.status_code == 200 and events[0].data == 'hi'
    assert proc.poll() is None


@pytest.mark.parametrize('server_name', ['hypercorn', 'mpy'])
def test_ctrl_c_sends_open_streams_their_last_event_and_stops(tmp_path, server_name):
    import signal
    (tmp_path / 'sseapp.py').write_text(APP)
    port = free_port()
    proc = start_server([sys.executable, '-m', 'plugdot.cli', 'run', str(tmp_path / 'sseapp.py') + ':app',
                         '--port', str(port), '--server', server_name], port)
    try:
        parser, events = EventParser(), []
        with httpx.stream('GET', 'http://127.0.0.1:%d/idle' % port, timeout=10) as r:
            for piece in r.iter_raw():
                events += parser.feed(piece.decode())
                if len(events) == 1:
                    proc.send_signal(signal.SIGINT)
        # the stream ended by itself, after the last event
        assert [(e.event, e.data) for e in events] == [('message', 'hi'), ('shutdown', '')]
        assert proc.wait(5) is not None
    finally:
        stop(proc)
    assert 'Traceback' not in proc.stdout.read().decode()
