"""WebSocket messages on a 32-bit board: the bundle of a sessions + WebSocket
app (bench/bundle.py's) from `.mpy` files on the unix port built from
MicroPython's source (the word size of ESP32 and RP2040; runs when
$PLUGDOT_MICROPYTHON_SRC is set, as in CI).

A message of the board's default ``max_ws_message`` (4 KiB) is echoed in a
114 KB heap: the server reads a frame's payload into one buffer of its size
and unmasks it there (it took 122 KB when each read made a larger copy and
the unmasking big integers; trial 14, defect 5). One byte more is closed with
1009, one the heap cannot hold with 1011, and the board logs each.
"""
import os
import subprocess
import sys

import pytest
from support import ROOT, build_micropython, free_port, stop, wait_for_port
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

APP = '''
from plugdot import App

app = App()

@app.get('/')
async def index(request):
    return 'Hello, World!'

@app.get('/mem')
async def mem(request):
    import gc
    gc.collect()
    return str(gc.mem_alloc())

from plugdot_websocket import with_websocket
app.config['secret_key'] = 'bench-secret-0123456789abcdef0123'

@app.get('/count')
async def count(request):
    request.session['n'] = request.session.get('n', 0) + 1
    return str(request.session['n'])

@app.route('/ws')
@with_websocket
async def echo(request, ws):
    async for m in ws:
        await ws.send(m)
'''
HEAP = '114k'  # what the app needs from .mpy files: ~91 KB with small messages, 107 with 4 KiB
MESSAGE = 4096  # the board's default max_ws_message


@pytest.fixture(scope='module')
def board(tmp_path_factory):
    """A function that runs the bundle with *main* as its main.py on the
    32-bit port in HEAP (its URL, and its output once stopped), and the
    generated main.py."""
    exe = build_micropython()  # skips when PLUGDOT_MICROPYTHON_SRC is not set
    tmp = tmp_path_factory.mktemp('wsboard')
    (tmp / 'app.py').write_text(APP)
    out = tmp / 'board'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(tmp / 'app.py'),
                           '--plugin', 'sessions', '--plugin', 'websocket', '-o', str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    procs = []

    generated = (out / 'main.py').read_text()

    def run(main):
        (out / 'main.py').write_text(main)
        port = free_port()
        log = open(tmp / ('log%d.txt' % port), 'w+')
        env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
        proc = subprocess.Popen([exe, '-X', 'heapsize=' + HEAP, 'main.py'], cwd=out, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_for_port(port, proc)

        def output():
            alive = proc.poll() is None
            stop(proc)
            log.seek(0)
            return alive, log.read()
        return 'ws://127.0.0.1:%d/ws' % port, output
    yield run, generated
    for proc in procs:
        stop(proc)


def test_a_message_of_the_default_limit_is_echoed_and_one_byte_more_is_1009(board):
    from plugdot_mpy_server import Limits
    assert Limits().max_ws_message == MESSAGE  # the heap above is stated for it
    run, main = board
    url, output = run(main)
    text, binary = 'x' * MESSAGE, bytes(range(256)) * (MESSAGE // 256)
    with connect(url, open_timeout=5, max_size=None) as ws:
        for _ in range(3):  # an echo loop holds the last message while the next arrives
            ws.send(text)
            assert ws.recv(timeout=10) == text
    with connect(url, open_timeout=5, max_size=None) as ws:
        ws.send(binary)
        assert ws.recv(timeout=10) == binary
        ws.send(text + 'y')
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd.code == 1009
    alive, log = output()
    assert alive, log
    lines = [line for line in log.splitlines() if '/ws' in line]
    assert lines == ['127.0.0.1 - "GET /ws HTTP/1.1" 101 open',
                     '127.0.0.1 - "GET /ws HTTP/1.1" 101 closed 1000 (by the client)',
                     '127.0.0.1 - "GET /ws HTTP/1.1" 101 open',
                     '127.0.0.1 - "GET /ws HTTP/1.1" 101 closed 1009 (message too big)'], log


def test_a_message_the_heap_cannot_hold_is_1011_and_the_board_goes_on(board):
    run, main = board
    assert main.rstrip().endswith('\nrun()'), 'main.py no longer ends with run()'
    url, output = run(main.rstrip()[:-len('run()')] + (
        'from plugdot_mpy_server import Limits\n'
        'run(limits=Limits(max_ws_message=65536))\n'))
    with connect(url, open_timeout=5, max_size=None) as ws:
        ws.send('z' * 40000)  # within the limit raised above, not within the heap
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd.code == 1011 and info.value.rcvd.reason == 'out of memory'
    with connect(url, open_timeout=5) as ws:
        ws.send('still here')
        assert ws.recv(timeout=10) == 'still here'
    alive, log = output()
    assert alive, log
    assert '127.0.0.1 - "GET /ws HTTP/1.1" 101 closed 1011 (out of memory)' in log.splitlines(), log
    assert 'Traceback' not in log, log
