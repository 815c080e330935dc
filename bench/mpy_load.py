"""What loading a bundle from ``.mpy`` files costs a 32-bit board, in bytes
that do not move between runs (issue 17's ``.mpy`` rows; board_heap.py finds
the smallest heap that serves, to the KB, ±1-2 KB between runs).

Builds bench/bundle.py's hello app (``--full``: sessions + WebSocket) as a
bundle of this checkout and, on a plain 32-bit unix port from MicroPython's
source ($PLUGDOT_MICROPYTHON_SRC, default ../shared/micropython), prints

* the ``.mpy`` bytes of each file the board loads at start (the on-demand
  ones apart);
* the heap after import, step by step (``gc.mem_alloc()`` after a collection
  once each module is imported from its file, in ``main.py``'s order);
* the same once ``App.startup()`` ran (what the server runs before it
  serves: the app's plan compiled, code only building needed forgotten);
* the import peak (``micropython.mem_info()``'s ``peak``: the most bytes
  allocated at once while ``plugdot_main.load()`` ran, collections included);
* the smallest heap to import: a 64-byte search for the smallest
  ``-X heapsize`` in which ``plugdot_main.load()`` succeeds, as ``main.py``
  does before it serves (what the row needs besides serving).

Usage: python bench/mpy_load.py [--full] [--keep DIR] [--port EXE]
(--keep: also write the bundle's board-edition sources, before compiling, to DIR)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from board_heap import bundle_modules
from bundle import FULL, HELLO, build_port, plugdot_bundle

STEPS = r'''
import gc, micropython, sys
gc.collect()
_base = gc.mem_alloc()
_start = _base
def _step(name):
    global _base
    gc.collect()
    now = gc.mem_alloc()
    print('STEP %-30s %6d' % (name, now - _base))
    _base = now
import asyncio
_step('asyncio (frozen in the port)')
_start = _base
import plugdot_bundled
_step('plugdot_bundled')
for _name in MODULES:
    __import__(_name)
    _step(_name)
from APP import app
_step('the app (APP)')
print('AFTER %d' % (_base - _start))
asyncio.run(app.startup())  # what the server runs before it serves
_step('App.startup()')
print('STARTED %d' % (_base - _start))
'''

LOAD = r'''
import micropython
from plugdot_main import load
load()
print('LOADED')
micropython.mem_info()
import sys
print('MODULES ' + ' '.join(sorted(sys.modules)))
'''


def run(exe, folder, script, heap):
    path = os.path.join(folder, '_probe.py')
    with open(path, 'w') as f:
        f.write(script)
    try:
        done = subprocess.run([exe, '-X', 'heapsize=%d' % heap, '_probe.py'], cwd=folder,
                              capture_output=True, text=True, timeout=60)
    finally:
        os.remove(path)
    return done.stdout + done.stderr


def smallest_to_import(exe, folder):
    lo, hi = 8 * 1024, 256 * 1024
    if 'LOADED' not in run(exe, folder, LOAD, hi):
        return None
    while hi - lo > 64:
        mid = (lo + hi) // 2 // 64 * 64
        if 'LOADED' in run(exe, folder, LOAD, mid):
            hi = mid
        else:
            lo = mid
    return hi


def main():
    full = '--full' in sys.argv
    name, source, plugins = ('full', FULL, ['sessions', 'websocket']) if full \
        else ('hello', HELLO, [])
    work = tempfile.mkdtemp(prefix='mpyload-')
    if '--port' in sys.argv:
        exe = sys.argv[sys.argv.index('--port') + 1]
    else:
        exe = build_port(os.path.join(work, 'mp32'))
    if '--keep' in sys.argv:  # the board edition's sources: compile nothing, keep the .py
        import plugdot_mpy_server.bundle as bundle
        keep = sys.argv[sys.argv.index('--keep') + 1]
        compile_one = bundle._mpy_cross

        def kept(src, dst, args):
            rel = [a for a in args if a.endswith('.py')]
            target = os.path.join(keep, rel[0] if rel else os.path.basename(src))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(src) as f, open(target, 'w') as g:
                g.write(f.read())
            return compile_one(src, dst, args)
        bundle._mpy_cross = kept
        app_file = os.path.join(work, name + '.py')
        with open(app_file, 'w') as f:
            f.write(source)
        folder = os.path.join(work, 'board-' + name)
        bundle.make_bundle(app_file, plugins, folder)
    else:
        folder, _ = plugdot_bundle(work, name, source, plugins)
    out = run(exe, folder, LOAD, 512 * 1024)
    peak = [line for line in out.splitlines() if line.startswith('mem:')]
    loaded = [line.split()[1:] for line in out.splitlines() if line.startswith('MODULES ')]
    if not loaded:
        sys.exit(out)
    modules = [m for m in bundle_modules(folder) if m in loaded[0]]  # what load() imports
    lib = [m for m in modules if m not in ('plugdot_bundled', name)]
    print('== %s bundle of %s' % (name, os.getcwd()))
    start = demand = 0
    for dirpath, _, files in sorted(os.walk(folder)):
        for file in sorted(files):
            if not file.endswith('.mpy'):
                continue
            path = os.path.join(dirpath, file)
            module = os.path.relpath(path, folder)[:-4].replace(os.sep, '.')
            module = module[:-len('.__init__')] if module.endswith('.__init__') else module
            size = os.path.getsize(path)
            loaded = module in modules or module == 'plugdot_main'
            start += size if loaded else 0
            demand += 0 if loaded else size
            print('MPY %-34s %6d%s' % (module, size, '' if loaded else '  (on first use)'))
    print('MPY loaded at start: %d B; on first use or never: %d B' % (start, demand))
    out = run(exe, folder, STEPS.replace('MODULES', repr(lib)).replace('APP', name), 512 * 1024)
    for line in out.splitlines():
        if line.startswith(('STEP', 'AFTER', 'STARTED')) or 'Error' in line:
            print(line)
    print('PEAK (micropython.mem_info() after load(), the whole process): ' + peak[0])
    print('SMALLEST HEAP TO IMPORT (load()): %s B' % smallest_to_import(exe, folder))
    if '--keep' not in sys.argv:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
