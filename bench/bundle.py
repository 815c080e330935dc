"""`plugdot bundle` sizes and heap next to Microdot, compiled with the same
mpy-cross, on the MicroPython unix port: total .mpy bytes of the minimal
bundle (hello) and of the bundle with sessions + websocket, and the smallest
heap in which each imports and serves 100 requests.

The sessions + websocket row runs the same app on both frameworks and uses
what it loads: half of the 100 requests read and write a cookie session
(the count must go up by one each time), and a WebSocket connection echoes
ten messages half-way through. Microdot's session module needs a ``jwt``
module, which MicroPython does not ship and no registry here has; it gets
the HS256 code plugdot-sessions runs on a board, under PyJWT's names
(``jwt_for_microdot``), so both sides sign with the same code.

Usage: python bench/bundle.py
"""
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

import httpx
from mpy_server import (HERE, MICRODOT_MAIN, MICROPYTHON, Target, free_port, launch, min_heap,
                        stop)
from websockets.sync.client import connect

sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'packages', 'mpy-server', 'src'))

HELLO = '''
from plugdot import App
app = App()

@app.get('/')
async def index(request):
    return 'Hello, World!'
'''

FULL = HELLO + '''
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

@app.get('/mem')
async def mem(request):
    import gc
    gc.collect()
    return str(gc.mem_alloc())
'''


MICRODOT_FULL = '''
import sys
sys.path.insert(0, %(lib)r)
from microdot import Microdot
from microdot.session import Session, with_session
from microdot.websocket import with_websocket
app = Microdot()
Session(app, secret_key='bench-secret-0123456789abcdef0123')

@app.get('/')
async def index(request):
    return 'Hello, World!'

@app.get('/count')
@with_session
async def count(request, session):
    session['n'] = session.get('n', 0) + 1
    session.save()
    return str(session['n'])

@app.route('/ws')
@with_websocket
async def echo(request, ws):
    while True:
        await ws.send(await ws.receive())

@app.get('/mem')
async def mem(request):
    import gc
    gc.collect()
    return str(gc.mem_alloc())

app.run(host='127.0.0.1', port=%(port)d)
'''


def use_session_and_websocket(url, n):
    """The full workload: *n* requests, every other one a session read and
    write whose count must rise by one; ten WebSocket echoes half-way."""
    try:
        with httpx.Client(timeout=5) as c:
            for i in range(n):
                if i == n // 2:
                    with connect(url.replace('http', 'ws') + '/ws', open_timeout=5) as ws:
                        for k in range(10):
                            ws.send('echo %d' % k)
                            if ws.recv(timeout=5) != 'echo %d' % k:
                                return False
                if i % 2:
                    r = c.get(url + '/count')
                    if r.status_code != 200 or r.text != str(i // 2 + 1):
                        return False
                elif c.get(url + '/').status_code != 200:
                    return False
        return True
    except Exception:  # any failure to serve (refused, reset, closed, timed out) fails the heap
        return False


def heap_per_websocket(target, n=5):
    """Heap held per open WebSocket (bytes): *n* echoing connections held open
    at once, after one session request and one WebSocket have warmed up."""
    url, proc = target.start('512k')
    ws_url = url.replace('http', 'ws') + '/ws'
    try:
        with httpx.Client(timeout=5) as c:
            c.get(url + '/count')
            with connect(ws_url, open_timeout=5) as ws:
                ws.send('warm')
                ws.recv(timeout=5)
            base = int(c.get(url + '/mem').text)
            with contextlib.ExitStack() as stack:
                for _ in range(n):
                    ws = stack.enter_context(connect(ws_url, open_timeout=5))
                    ws.send('held')
                    ws.recv(timeout=5)
                held = int(c.get(url + '/mem').text)
        return (held - base) // n
    finally:
        stop(proc)


class BundleTarget:
    """A bundle directory run with its generated main.py."""

    def __init__(self, name, out, exercise=None):
        self.name, self.out = name, out
        if exercise:
            self.exercise = exercise

    def start(self, heap, cap=8):
        port = free_port()
        env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
        return launch([MICROPYTHON, '-X', 'heapsize=%s' % heap, 'main.py'], port,
                      cwd=self.out, env=env)


def plugdot_bundle(work, name, source, plugins):
    app_file = os.path.join(work, name + '.py')
    with open(app_file, 'w') as f:
        f.write(source)
    out = os.path.join(work, 'board-' + name)
    rows = subprocess.run([sys.executable, '-c', (
        'import sys; sys.path.insert(0, %r)\n'
        'from plugdot_mpy_server.bundle import make_bundle\n'
        'rows, _ = make_bundle(%r, %r, %r)\n'
        'print(sum(r[2] or 0 for r in rows if r[0] != "main.py"))') % (HERE, app_file, plugins, out)],
        capture_output=True, text=True, check=True)
    return out, int(rows.stdout.split()[-1])


def jwt_for_microdot():
    """Source of a ``jwt`` module for Microdot's sessions on MicroPython:
    plugdot-sessions' portable HS256 under the names PyJWT gives them."""
    import plugdot_sessions._hs256 as hs256
    with open(hs256.__file__) as f:
        source = f.read()
    relative = 'from .signer import InvalidToken'
    assert relative in source, 'plugdot_sessions._hs256 no longer imports InvalidToken this way'
    source = source.replace(relative, 'class InvalidToken(ValueError): pass  #')
    compat = 'from plugdot._compat import MICROPYTHON, json_dumps'
    assert compat in source, 'plugdot_sessions._hs256 no longer imports from plugdot._compat this way'
    source = source.replace(compat, 'MICROPYTHON = True\n'
                            'def json_dumps(value): return json.dumps(value, separators=(",", ":"))')
    return source + '''
_encode, _decode = encode, decode


class exceptions:
    PyJWTError = InvalidToken


def encode(payload, key, algorithm='HS256'):
    return _encode(payload, key)


def decode(token, key, algorithms=None):
    return _decode(token, [key])
'''


def microdot_lib(work):
    """Compile Microdot (and the jwt module its sessions need) into *work*;
    return the folder and {module: .mpy bytes}."""
    import microdot
    src = os.path.dirname(microdot.__file__)
    lib = os.path.join(work, 'microdot-lib')
    os.makedirs(os.path.join(lib, 'microdot'))
    jwt_py = os.path.join(work, 'jwt.py')
    with open(jwt_py, 'w') as f:
        f.write(jwt_for_microdot())
    sizes = {}
    sources = [(name, os.path.join(src, name + '.py'), os.path.join(lib, 'microdot', name + '.mpy'))
               for name in ('microdot', 'session', 'websocket', 'helpers', '__init__')]
    sources.append(('jwt', jwt_py, os.path.join(lib, 'jwt.mpy')))
    for name, source, target in sources:
        subprocess.run(['mpy-cross', '-o', target, source], check=True)
        sizes[name] = os.path.getsize(target)
    return lib, sizes


def main():
    work = tempfile.mkdtemp(prefix='bundlebench-')
    hello_dir, hello_size = plugdot_bundle(work, 'hello', HELLO, [])
    full_dir, full_size = plugdot_bundle(work, 'full', FULL, ['sessions', 'websocket'])
    md_dir, md = microdot_lib(work)
    md_core = md['microdot']
    md_full = md_core + md['session'] + md['websocket']
    print('%-44s %12s %12s' % ('', 'plugdot', 'Microdot'))
    print('%-44s %12d %12d' % ('core / minimal bundle .mpy bytes', hello_size, md_core))
    print('%-44s %12d %12d' % ('+ session + websocket .mpy bytes', full_size, md_full))
    print('%-44s %12s %12d' % ('  (+ jwt module for Microdot\'s sessions)', '', md['jwt']))
    hello_heap = min_heap(BundleTarget('hello', hello_dir))
    full_heap = min_heap(BundleTarget('full', full_dir, use_session_and_websocket))
    md_full_app = Target('microdot-full', MICRODOT_FULL, md_dir, use_session_and_websocket)
    md_full_heap = min_heap(md_full_app)
    md_hello_heap = min_heap(Target('microdot', MICRODOT_MAIN, md_dir))
    print('%-44s %11sK %11sK' % ('min heap, hello, 100 requests', hello_heap, md_hello_heap))
    print('%-44s %11sK %11sK' % ('min heap, sessions + websocket, used', full_heap, md_full_heap))
    print('%-44s %12d %12d' % ('heap held per open WebSocket, bytes',
                               heap_per_websocket(BundleTarget('full', full_dir)),
                               heap_per_websocket(md_full_app)))
    shutil.rmtree(work)


if __name__ == '__main__':
    main()
