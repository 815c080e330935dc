"""Where a board's heap goes, quickly: the measuring stick of the lean work
(issue 17), a subset of bench/bundle.py that runs in a few minutes.

Builds bench/bundle.py's two apps (hello; sessions + WebSocket in use) as
bundles of this checkout, a 32-bit unix port from MicroPython's source
($PLUGDOT_MICROPYTHON_SRC, default ../shared/micropython) with each bundle
frozen, and prints

* the smallest heap that serves, frozen and from ``.mpy`` files, next to
  Microdot's figures of the last full run of bench/bundle.py (``--microdot``
  measures them again, in this run);
* the steps of a frozen bundle's heap (``gc.mem_alloc()`` after a collection
  after each step: each module as it is imported, ``App()`` with its routes,
  the started server, the heap in use inside a request, then one more
  connection idle and one whose handler waits: a request in flight);
* the classes, functions and module-level names the loaded bundle holds.

Usage: python bench/board_heap.py [--only hello|full] [--no-mpy] [--microdot]
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx
from websockets.sync.client import connect
from bundle import (FULL, HELLO, BundleTarget, build_port, microdot_lib, only_main,
                    plugdot_bundle, use_session_and_websocket)
from plugdot_mpy_server.bundle import ON_DEMAND
from mpy_server import MICRODOT_MAIN, Target, free_port, launch, min_heap, stop

# bench/bundle.py's 32-bit run of 2026-11-30 (KB): Microdot 2.7.0
MICRODOT_KB = {'hello frozen': 15, 'full frozen': 20, 'hello .mpy': 32, 'full .mpy': 45}
# Microdot 2.7.0 frozen on 32-bit, measured as steps() does (2026-11-30, B): in a
# request, one more idle connection, one more whose handler waits
MICRODOT_STEPS = {'in a request': 11984, 'idle': 736, 'in flight': 1712}

# Run on the board's interpreter: the heap after each step of loading and
# starting a bundle whose modules are frozen.
STEPS = r'''
import gc, sys
gc.collect()
_base = gc.mem_alloc()
_seen = set(sys.modules)

def _step(name):
    global _base
    gc.collect()
    now = gc.mem_alloc()
    new = sorted(m for m in sys.modules if m not in _seen)
    _seen.update(new)
    print('STEP %-34s %6d  %s' % (name, now - _base, ' '.join(new)))
    _base = now

import asyncio
_step('asyncio')
import plugdot_bundled
_step('hook table (plugdot_bundled)')
for _name in MODULES:
    __import__(_name)
    _step(_name)
from APP import app
_step('the app: App() and its routes')


@app.get('/hold')
async def _hold(request):  # a request in flight: its handler waits
    await asyncio.sleep(1)
    return ''
import plugdot_mpy_server
from plugdot_mpy_server.server import start


async def _main():
    server = await start(app, '127.0.0.1', PORT)
    _step('the started server')
    await server.serve_forever()

asyncio.run(_main())
'''

COUNT = r'''
import gc, sys
import plugdot_bundled
for _name in MODULES:
    __import__(_name)
from APP import app
classes = functions = names = 0
seen = set()
for name, module in sorted(sys.modules.items()):
    if name in ('asyncio', 'gc', 'sys') or name.startswith('asyncio.'):
        continue
    c = f = 0
    for key in dir(module):
        value = getattr(module, key)
        names += 1
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, type):
            c += 1
            f += sum(1 for k in dir(value) if type(getattr(value, k, None)).__name__
                     in ('function', 'closure', 'bound_method', 'generator'))
        elif type(value).__name__ in ('function', 'closure', 'generator'):
            f += 1
    classes += c
    functions += f
    print('COUNT %-34s classes %3d functions %4d names %4d' % (name, c, f, len(dir(module))))
    # a class or function counts in the first module (by name) that holds it
print('COUNT %-34s classes %3d functions %4d names %4d' % ('total', classes, functions, names))
'''


def bundle_modules(bundle_dir):
    """The bundle's library modules in the order its main.py would import them:
    by dependency, as the manifest lists them (not ``plugdot_messages``: the
    board loads it only while it raises one of its messages; nor the server's
    ``lifespan``, which only an app that is not a plugdot App loads; not
    ``plugdot_main``: these steps start the server themselves, as main.py's
    call to it would; not the core's modules loaded on first use,
    ``ON_DEMAND``)."""
    with open(os.path.join(bundle_dir, 'manifest.py')) as f:
        manifest = f.read()
    names = []
    for line in manifest.splitlines():
        line = line.strip().rstrip(',')
        if line[:1] in '\'"' and line.endswith(('.py\'', '.mpy\'', '.py"', '.mpy"')):
            name = line.strip('\'"').rsplit('.', 1)[0].replace('/', '.')
            if name.endswith('.__init__'):
                name = name[:-len('.__init__')]
            if (name not in ('plugdot_messages', 'plugdot_main', 'plugdot_mpy_server.lifespan')
                    and name not in ON_DEMAND):
                names.append(name)
    return names


def run_script(exe, folder, script, heap='512k', timeout=60):
    path = os.path.join(folder, '_probe.py')
    with open(path, 'w') as f:
        f.write(script)
    done = subprocess.run([exe, '-X', 'heapsize=%s' % heap, '_probe.py'], cwd=folder,
                          capture_output=True, text=True, timeout=timeout)
    os.remove(path)
    return done.stdout + done.stderr


def steps(exe, folder, app, modules):
    """Print the heap after each step of loading, starting and serving."""
    port = free_port()
    lib = [m for m in modules if m not in ('plugdot_bundled', app)]
    script = STEPS.replace('MODULES', repr(lib)).replace('APP', app).replace('PORT', str(port))
    path = os.path.join(folder, '_steps.py')
    with open(path, 'w') as f:
        f.write(script)
    url, proc = launch([exe, '-X', 'heapsize=512k', '_steps.py'], port, cwd=folder)
    try:
        if url:
            with httpx.Client(timeout=5) as client:
                for _ in range(20):
                    client.get(url + '/')
                inside = int(client.get(url + '/mem').text)
                # one idle connection, then one whose request's handler waits
                idle = socket.create_connection(('127.0.0.1', int(url.rsplit(':', 1)[1])))
                time.sleep(0.3)
                idle_conn = int(client.get(url + '/mem').text) - inside
                idle.close()
                held = threading.Thread(target=httpx.get, args=(url + '/hold',),
                                        kwargs={'timeout': 5})
                held.start()
                time.sleep(0.3)
                in_flight = int(client.get(url + '/mem').text) - inside
                held.join()
                if app == 'full':  # the first session request, then one open WebSocket
                    client.get(url + '/count')
                    session = int(client.get(url + '/mem').text)
                    with connect(url.replace('http', 'ws') + '/ws', open_timeout=5) as ws:
                        ws.send('held')
                        ws.recv(timeout=5)
                        websocket = int(client.get(url + '/mem').text)
    finally:
        stop(proc)
        out = proc.stdout.read().decode()
    for line in out.splitlines():
        if line.startswith('STEP '):
            print('  ' + line[5:])
    if url:
        print('  %-34s %6d  (gc.mem_alloc() inside GET /mem after 20 requests)'
              % ('heap in use in a request', inside))
        print('  %-34s %6d  (one more connection, idle; Microdot %d)'
              % ('an idle connection', idle_conn, MICRODOT_STEPS['idle']))
        print('  %-34s %6d  (one more connection whose handler waits; %d over an idle one; '
              'Microdot %d)' % ('one request in flight', in_flight, in_flight - idle_conn,
                               MICRODOT_STEPS['in flight']))
        if app == 'full':
            print('  %-34s %6d  (then after GET /count)' % ('+ the first session request',
                                                           session - inside))
            print('  %-34s %6d  (then with one WebSocket open)' % ('+ an open WebSocket',
                                                                  websocket - session))
    else:
        print(out[-2000:])


def in_request_via_main(target):
    """gc.mem_alloc() inside GET /mem after 20 requests, the bundle started
    by its own main.py (what a board runs; the steps above start it from a
    script of their own)."""
    url, proc = target.start('512k')
    try:
        if url is None:
            return None
        with httpx.Client(timeout=5) as client:
            for _ in range(20):
                client.get(url + '/')
            return int(client.get(url + '/mem').text)
    finally:
        stop(proc)


def counts(exe, folder, app, modules):
    lib = [m for m in modules if m not in ('plugdot_bundled', app)]
    out = run_script(exe, folder, COUNT.replace('MODULES', repr(lib)).replace('APP', app))
    for line in out.splitlines():
        if line.startswith('COUNT '):
            print('  ' + line[6:])
        elif 'Error' in line:
            print('  ' + line)


def main():
    only = sys.argv[sys.argv.index('--only') + 1] if '--only' in sys.argv else None
    work = tempfile.mkdtemp(prefix='boardheap-')
    apps = [(name, source, plugins) for name, source, plugins in
            (('hello', HELLO, []), ('full', FULL, ['sessions', 'websocket']))
            if only in (None, name)]
    mp32 = build_port(os.path.join(work, 'mp32'))
    microdot = {}
    if '--microdot' in sys.argv:
        import bundle
        md_dir, _ = microdot_lib(work)
        with open(os.path.join(md_dir, 'manifest.py'), 'w') as f:
            f.write('include("$(MPY_DIR)/extmod/asyncio")\nfreeze(".", (%s))\n' % ', '.join(
                repr(os.path.relpath(os.path.join(d, n), md_dir))
                for d, _, names in os.walk(md_dir) for n in names if n.endswith('.mpy')))
        fw_md = build_port(os.path.join(work, 'fw-microdot'), os.path.join(md_dir, 'manifest.py'))
        empty = os.path.join(work, 'microdot-frozen')
        os.makedirs(empty)
        full_md = bundle.MICRODOT_FULL
        microdot = {
            'hello frozen': min_heap(Target('mdfz', MICRODOT_MAIN, empty, exe=fw_md)),
            'full frozen': min_heap(Target('mdfzfull', full_md, empty, use_session_and_websocket,
                                           exe=fw_md)),
            'hello .mpy': min_heap(Target('md32', MICRODOT_MAIN, md_dir, exe=mp32)),
            'full .mpy': min_heap(Target('md32full', full_md, md_dir, use_session_and_websocket,
                                         exe=mp32)),
        }
    for name, source, plugins in apps:
        bundle_dir, size = plugdot_bundle(work, name, source, plugins)
        exercise = use_session_and_websocket if name == 'full' else None
        firmware = build_port(os.path.join(work, 'fw-' + name),
                              os.path.join(bundle_dir, 'manifest.py'))
        frozen = only_main(work, 'frozen-' + name, bundle_dir)
        modules = bundle_modules(bundle_dir)
        print('\n== %s: %d bytes of .mpy in %d modules' % (name, size, len(modules)))
        for kind, target in (('frozen', BundleTarget(name, frozen, exercise, exe=firmware)),
                             ('.mpy', BundleTarget(name, bundle_dir, exercise, exe=mp32))):
            if kind == '.mpy' and '--no-mpy' in sys.argv:
                continue
            key = '%s %s' % (name, kind)
            ours = min_heap(target)
            theirs = microdot.get(key, MICRODOT_KB[key])
            ratio = '%.2f×' % (ours / theirs) if ours and theirs else '-'
            print('smallest heap, %-6s plugdot %4s KB  Microdot %4s KB%s  %s' % (
                kind, ours, theirs, '' if key in microdot else ' (recorded)', ratio))
        print('heap in use in a request, frozen, started by main.py: %s B'
              % in_request_via_main(BundleTarget(name, frozen, exe=firmware)))
        print('steps of the frozen bundle (bytes of heap each step adds):')
        steps(firmware, frozen, name, modules)
        print('what the loaded bundle holds (frozen):')
        counts(firmware, frozen, name, modules)


if __name__ == '__main__':
    main()
