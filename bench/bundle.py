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

With MicroPython's source ($PLUGDOT_MICROPYTHON_SRC, default
../shared/micropython) the same apps are also measured on a 32-bit unix port
(the word size of ESP32 and RP2040), both from .mpy files and frozen into
firmware built with each bundle's manifest.py (Microdot frozen the same way),
with the heap per idle connection, the heap one request in flight holds, the
heap in use after 1,000 requests and 5/20/100 concurrent connections at
64 KB. The 64-bit pip-port rows come first,
for continuity with earlier runs.

Usage: python bench/bundle.py [--no-32bit]
"""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import httpx
from mpy_server import (HERE, MICRODOT_MAIN, MICROPYTHON, ROOT, Target, concurrency, free_port,
                        get_root, launch, min_heap, steady, stop)
from websockets.sync.client import connect

sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'packages', 'mpy-server', 'src'))

HELLO = '''
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


def use_session_and_websocket(url, n, sessions=True, websocket=True, verbose=False):
    """The full workload: *n* requests, every other one a session read and
    write whose count must rise by one; ten WebSocket echoes half-way. Either
    half can be left out (bench/board_probe.py); *verbose* prints why a run
    failed."""
    try:
        with httpx.Client(timeout=5) as c:
            for i in range(n):
                if websocket and i == n // 2:
                    with connect(url.replace('http', 'ws') + '/ws', open_timeout=5) as ws:
                        for k in range(10):
                            ws.send('echo %d' % k)
                            if ws.recv(timeout=5) != 'echo %d' % k:
                                return False
                if sessions and i % 2:
                    r = c.get(url + '/count')
                    if r.status_code != 200 or r.text != str(i // 2 + 1):
                        return False
                elif c.get(url + '/').status_code != 200:
                    return False
        return True
    except Exception as exc:  # any failure to serve (refused, reset, closed, timed out) fails the heap
        if verbose:
            print('  client: %r' % exc)
        return False


# A route whose handler awaits (the request stays in flight): added in main.py,
# after the app is loaded, so that the firmware and the other rows are the same.
HOLD_ROUTE = '''
@app.get('/hold')
async def hold(request):
    import asyncio
    await asyncio.sleep(2)
    return 'held'
'''


def with_hold_route(main, *before):
    """*main* (a main script's text) with :data:`HOLD_ROUTE` added before the
    first line that starts with one of *before* (where the server starts)."""
    at = min(main.index('\n' + b) for b in before if '\n' + b in main) + 1
    return main[:at] + HOLD_ROUTE.lstrip('\n') + main[at:]


def _mem(port):
    with httpx.Client(timeout=5) as c:
        return int(c.get('http://127.0.0.1:%d/mem' % port).text)


def heap_in_flight(target, heap='256k', trials=3):
    """Heap (bytes) one request in flight holds -- its handler awaiting
    ``asyncio.sleep`` -- as (its connection included, beyond the idle
    connection it arrived on: accepted, waiting for its request, as in
    ``steady``), the median of *trials*. ``/mem`` is read from another
    connection, after 20 requests have warmed the server up; the target's
    app has :data:`HOLD_ROUTE`."""
    url, proc = target.start(heap)
    total, alone = [], []
    try:
        if url is None:
            return None
        port = int(url.rsplit(':', 1)[1])
        get_root(url, 20)
        for _ in range(trials):
            idle = _mem(port)
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
            time.sleep(0.2)  # accepted: an idle connection, waiting for its request
            with_conn = _mem(port)
            s.sendall(b'GET /hold HTTP/1.1\r\nHost: a\r\n\r\n')
            time.sleep(0.5)  # in the handler by now, for 1.5 s more
            held = _mem(port)
            answer = b''
            while b'held' not in answer:
                data = s.recv(4096)
                if not data:
                    break
                answer += data
            s.close()
            if b'held' not in answer:
                return None
            total.append(held - idle)
            alone.append(held - with_conn)
            time.sleep(0.2)
        return sorted(total)[trials // 2], sorted(alone)[trials // 2]
    finally:
        stop(proc)


def heap_per_websocket(target, n=4):
    """Heap held per open WebSocket (bytes): *n* echoing connections held open
    at once, after one session request and one WebSocket have warmed up (4:
    a board's default 8 connections keep half for plain HTTP)."""
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

    def __init__(self, name, out, exercise=None, exe=None):
        self.name, self.out = name, out
        self.exe = exe or MICROPYTHON
        if exercise:
            self.exercise = exercise

    def start(self, heap, cap=8):
        port = free_port()
        env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
        return launch([self.exe, '-X', 'heapsize=%s' % heap, 'main.py'], port,
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
    assert 'class InvalidToken(' in source, 'plugdot_sessions._hs256 no longer defines InvalidToken'
    compat = 'from plugdot._compat import MICROPYTHON, json_dumps'
    assert compat in source, 'plugdot_sessions._hs256 no longer imports from plugdot._compat this way'
    source = source.replace(compat, 'MICROPYTHON = True\n'
                            'def json_dumps(value): return json.dumps(value, separators=(",", ":"))')
    limit = 'from plugdot.jsonlimit import loads'  # no plugdot beside Microdot: plain json.loads
    assert limit in source, 'plugdot_sessions._hs256 no longer imports loads this way'
    source = source.replace(limit, 'def loads(data, depth): return json.loads(data)  #')
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
        # -s: the name frozen firmware imports it by is the one recorded here
        rel = os.path.relpath(target, lib)[:-4] + '.py'
        subprocess.run(['mpy-cross', '-s', rel, '-o', target, source], check=True)
        sizes[name] = os.path.getsize(target)
    return lib, sizes


def build_port(out, manifest=None):
    """A 32-bit unix port from MicroPython's source, with *manifest* frozen."""
    src = os.environ.get('PLUGDOT_MICROPYTHON_SRC') or os.path.join(ROOT, '..', 'shared',
                                                                    'micropython')
    cmd = [os.path.join(src, 'build-unix-port'), out, '--arch', '32',
           '--work', os.path.join(ROOT, 'build', 'micropython', 'bench-work')]
    if manifest:
        # from a fixed folder per firmware: the build tree is kept per manifest
        # path, so a later run rebuilds only what changed
        frozen = os.path.join(ROOT, 'build', 'micropython', 'bench-frozen', os.path.basename(out))
        shutil.rmtree(frozen, ignore_errors=True)
        shutil.copytree(os.path.dirname(manifest), frozen)
        cmd += ['--manifest', os.path.join(frozen, os.path.basename(manifest))]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def only_main(work, name, bundle_dir, cap=None, hold=False):
    """A folder with the bundle's main.py alone: the rest is frozen. With
    *cap*, the server takes that many connections (the default is a board's);
    with *hold*, the app gets :data:`HOLD_ROUTE`. (The main.py of either
    calls the bundle's ``plugdot_main`` as the generated one does.)"""
    folder = os.path.join(work, name)
    os.makedirs(folder)
    with open(os.path.join(bundle_dir, 'main.py')) as f:
        main = f.read()
    if cap or hold:
        assert main.rstrip().endswith('\nrun()'), 'main.py no longer ends with run()'
        main = main.rstrip()[:-len('run()')] + 'app = load()\n'
        main = main.replace('from plugdot_main import run', 'from plugdot_main import load, run')
        if hold:
            main += HOLD_ROUTE
        if cap:
            main += 'from plugdot_mpy_server import Limits\n'
            main += 'run(app, limits=Limits(max_connections=%d))\n' % cap
        else:
            main += 'run(app)\n'
    with open(os.path.join(folder, 'main.py'), 'w') as f:
        f.write(main)
    return folder


def row(label, plugdot, microdot, unit=''):
    ratio = '%.2f×' % (plugdot / microdot) if isinstance(plugdot, (int, float)) \
        and isinstance(microdot, (int, float)) and microdot else ''
    print('%-44s %12s %12s %8s' % (label, '%s%s' % (plugdot, unit), '%s%s' % (microdot, unit),
                                   ratio))


def bench_32bit(work, hello_dir, full_dir, md_dir):
    """The 32-bit rows: .mpy files and frozen firmware, side by side."""
    mp32 = build_port(os.path.join(work, 'mp32'))
    with open(os.path.join(md_dir, 'manifest.py'), 'w') as f:
        f.write('include("$(MPY_DIR)/extmod/asyncio")\nfreeze(".", (%s))\n' % ', '.join(
            repr(os.path.relpath(os.path.join(d, n), md_dir))
            for d, _, names in os.walk(md_dir) for n in names if n.endswith('.mpy')))
    fw_hello = build_port(os.path.join(work, 'fw-hello'), os.path.join(hello_dir, 'manifest.py'))
    fw_full = build_port(os.path.join(work, 'fw-full'), os.path.join(full_dir, 'manifest.py'))
    fw_md = build_port(os.path.join(work, 'fw-microdot'), os.path.join(md_dir, 'manifest.py'))
    empty = os.path.join(work, 'microdot-frozen')
    os.makedirs(empty)
    full_work = use_session_and_websocket
    pd = {
        'hello .mpy': BundleTarget('hello', hello_dir, exe=mp32),
        'full .mpy': BundleTarget('full', full_dir, full_work, exe=mp32),
        'hello frozen': BundleTarget('hello', only_main(work, 'fh', hello_dir), exe=fw_hello),
        'full frozen': BundleTarget('full', only_main(work, 'ff', full_dir), full_work,
                                    exe=fw_full),
    }
    md = {
        'hello .mpy': Target('md32', MICRODOT_MAIN, md_dir, exe=mp32),
        'full .mpy': Target('md32full', MICRODOT_FULL, md_dir, full_work, exe=mp32),
        'hello frozen': Target('mdfz', MICRODOT_MAIN, empty, exe=fw_md),
        'full frozen': Target('mdfzfull', MICRODOT_FULL, empty, full_work, exe=fw_md),
    }
    print('\n32-bit unix port (MicroPython %s), smallest heap that serves:'
          % subprocess.run([mp32, '-c', 'import sys; print(sys.version)'], capture_output=True,
                           text=True).stdout.strip())
    labels = {'hello .mpy': 'hello, .mpy files, 100 requests',
              'full .mpy': 'sessions + websocket in use, .mpy files',
              'hello frozen': 'hello, frozen, 100 requests',
              'full frozen': 'sessions + websocket in use, frozen'}
    for key in ('hello frozen', 'full frozen', 'hello .mpy', 'full .mpy'):
        row(labels[key], min_heap(pd[key]), min_heap(md[key]), 'K')
    pd_after, pd_idle, _ = steady(BundleTarget('hello', only_main(work, 'fh16', hello_dir, 16),
                                               exe=fw_hello))
    md_after, md_idle, _ = steady(md['hello frozen'])
    row('frozen hello: heap in use in a request after 1,000', pd_after, md_after)
    row('frozen hello: bytes per idle connection', int(pd_idle), int(md_idle))
    pd_flight = heap_in_flight(BundleTarget('hello', only_main(work, 'fhold', hello_dir, hold=True),
                                            exe=fw_hello))
    md_flight = heap_in_flight(Target('mdfzhold', with_hold_route(MICRODOT_MAIN, 'app.run('),
                                      empty, exe=fw_md))
    row('frozen hello: bytes held by 1 request in flight', pd_flight and pd_flight[0],
        md_flight and md_flight[0])
    row('  of which beyond its idle connection', pd_flight and pd_flight[1],
        md_flight and md_flight[1])
    for n in (5, 20, 100):
        row('%d concurrent at 64 KB, frozen hello' % n, concurrency(pd['hello frozen'], n),
            concurrency(md['hello frozen'], n))


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
    if '--no-32bit' not in sys.argv:
        bench_32bit(work, hello_dir, full_dir, md_dir)
    shutil.rmtree(work)


if __name__ == '__main__':
    main()
