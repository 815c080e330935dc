"""The mpy-server under MicroPython sits idle after streams (issue 17: "after
an async stream the server spins at 100% CPU").

Every way a stream can end, from source and from a bundle, on the pip port
and the 32-bit one: an ``async def`` that yields, a class-based async
iterator, a plain generator and plugdot-sse, each ending by itself (on a
kept-alive connection and on a closed one), left by its client mid-stream,
left by a client that stopped reading, half-closed, and raising. Then the
server is left alone, one keep-alive connection still open, and the time it
spends on a CPU or ready for one over 2 s is read from /proc: a loop that
never waits is running or runnable all the time, a server that waits on its
sockets and timers almost never. (CPU time alone would not tell them apart on
a loaded machine, where a spinning process gets only its share of a CPU.)
The bound (half of wall time) only tells waiting from spinning; it is not a
speed check.
"""
import os
import socket
import sys
import time

import pytest
from support import ROOT, free_port, start_server, stop

APP = '''
import asyncio
from plugdot import App
from plugdot_sse import with_sse

app = App()


@app.get('/')
async def index(request):
    return 'idle'


@app.get('/agen')
async def agen(request):  # an async generator on CPython, a generator here
    n = int(request.query.get('n', '0'))  # 0: forever
    i = 0
    while not n or i < n:
        yield 'frame %d\\n' % i
        i += 1
        await asyncio.sleep(0.01)


@app.get('/agenraise')
async def agenraise(request):
    yield 'one\\n'
    await asyncio.sleep(0.01)
    raise ValueError('a stream that fails')


class Frames:
    def __init__(self, n):
        self.i, self.n = 0, n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n and self.i >= self.n:
            raise StopAsyncIteration
        await asyncio.sleep(0.01)
        self.i += 1
        return 'frame %d\\n' % self.i


@app.get('/aiter')
async def aiter_(request):
    return Frames(int(request.query.get('n', '0')))


@app.get('/gen')
def gen(request):
    def frames(n):
        for i in range(n):
            yield 'frame %d\\n' % i
    return frames(int(request.query.get('n', '100000')))


@app.get('/fast')
async def fast(request):  # fills a client that does not read
    block = 'x' * 2048
    while True:
        yield block
        await asyncio.sleep(0)


@app.get('/sse')
@with_sse
async def sse_(request, sse):
    n = int(request.query.get('n', '0'))
    i = 0
    while not n or i < n:
        await sse.send({'i': i}, id=str(i))
        i += 1
        await asyncio.sleep(0.01)


@app.get('/sseraise')
@with_sse
async def sseraise(request, sse):
    await sse.send('one')
    raise ValueError('a stream that fails')
'''

FROM_SOURCE = '''
import sys
for pkg in ('core', 'mpy-server', 'sse'):
    sys.path.insert(0, sys.argv[1] + '/packages/%s/src' % pkg)
sys.path.insert(0, sys.argv[2])
from idleapp import app
from plugdot_mpy_server import serve
serve(app, '127.0.0.1', int(sys.argv[3]))
'''

IDLE_SECONDS = 2.0
MAX_SHARE = 0.5


def busy_seconds(pid):
    """Seconds process *pid* has spent on a CPU or waiting in a run queue
    (/proc/<pid>/schedstat; CPU time from /proc/<pid>/stat where there is
    no schedstat)."""
    try:
        with open('/proc/%d/schedstat' % pid) as f:
            running, waiting = f.read().split()[:2]
        return (int(running) + int(waiting)) / 1e9
    except OSError:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def idle_share(pid, seconds=IDLE_SECONDS):
    """The share of wall time *pid* is running or ready to run over *seconds*."""
    used, start = busy_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (busy_seconds(pid) - used) / (time.monotonic() - start)


def get(port, path, close=False, leave_after=None, keep=False):
    """GET *path* over a raw socket: read the whole response (up to a chunked
    body's end on a kept-alive connection), or leave after *leave_after*
    bytes. With *keep*, return the open socket."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.sendall(b'GET %s HTTP/1.1\r\nHost: board\r\n%s\r\n'
              % (path.encode(), b'Connection: close\r\n' if close else b''))
    got = b''
    while not (leave_after is not None and len(got) >= leave_after
               or not close and got.endswith(b'\r\n0\r\n\r\n')):
        data = s.recv(4096)
        if not data:
            break
        got += data
    assert got.startswith(b'HTTP/1.1 200'), (path, got[:200])
    if keep:
        return s
    s.close()
    return got


def slow_reader(port, path):
    """A client that sends its request, never reads, and leaves."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(('127.0.0.1', port))
    s.sendall(b'GET %s HTTP/1.1\r\nHost: board\r\n\r\n' % path.encode())
    time.sleep(0.5)
    s.close()


def half_closed(port, path):
    """A client that shuts down its sending side after the request."""
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.sendall(b'GET %s HTTP/1.1\r\nHost: board\r\n\r\n' % path.encode())
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100).startswith(b'HTTP/1.1 200')


def streams_every_way(port):
    """Each stream kind ended each way; returns a socket kept alive after a
    stream ended on it (closed by the caller)."""
    for kind in ('/agen', '/aiter', '/gen', '/sse'):
        assert b'frame 2' in get(port, kind + '?n=3', close=True) or kind == '/sse'
        get(port, kind + '?n=3')  # ended by itself, keep-alive, then the client closes
        get(port, kind, leave_after=200)  # the client leaves mid-stream
    get(port, '/agenraise', close=True)
    get(port, '/agenraise')
    get(port, '/sseraise')
    slow_reader(port, '/fast')
    half_closed(port, '/agen')
    half_closed(port, '/sse')
    return get(port, '/agen?n=3', keep=True)


@pytest.fixture(scope='module')
def app_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp('idleapp')
    (folder / 'idleapp.py').write_text(APP)
    (folder / 'main.py').write_text(FROM_SOURCE)
    return folder


@pytest.fixture(scope='module')
def bundle_dir(app_dir):
    import subprocess
    out = app_dir / 'board'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_dir / 'idleapp.py'),
                           '-o', str(out), '--plugin', 'sse'], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.mark.parametrize('form', ['source', 'bundle'])
def test_the_server_waits_when_idle_after_streams(form, micropython_exe, app_dir, request,
                                                  tmp_path):
    port = free_port()
    log = open(tmp_path / 'server.log', 'w')
    if form == 'source':
        command = [micropython_exe, '-X', 'heapsize=1m', str(app_dir / 'main.py'), str(ROOT),
                   str(app_dir), str(port)]
        cwd, env = ROOT, None
    else:
        cwd = request.getfixturevalue('bundle_dir')
        command = [micropython_exe, '-X', 'heapsize=256k', 'main.py']
        env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    proc = start_server(command, port, cwd=cwd, env=env, stdout=log)
    try:
        assert idle_share(proc.pid, 1.0) < MAX_SHARE  # waiting before any request
        kept = streams_every_way(port)
        time.sleep(0.3)  # streams whose client left are cancelled by now
        share = idle_share(proc.pid)
        kept.close()
        assert proc.poll() is None, 'the server exited'
        assert get(port, '/', close=True).endswith(b'idle')  # and it still serves
    finally:
        stop(proc)
        log.close()
    output = (tmp_path / 'server.log').read_text()
    assert share < MAX_SHARE, 'idle after streams, the server was running or runnable %d%% of the time: %s' % (
        100 * share, output[-2000:])
    # Only the two streams that raise on purpose are logged with a traceback.
    assert output.count('Traceback') == 3, output[-4000:]
