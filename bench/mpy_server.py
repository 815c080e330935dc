"""plugdot-mpy-server vs Microdot's own server on the MicroPython unix port,
side by side in one run, both compiled with the same mpy-cross, the same
hello-world app and the same client. plugdot runs as ``plugdot bundle``
ships it (no plugins besides the server).

Rows: the smallest heap in which the app serves 100 requests; heap in use
after 1,000 requests; heap held per idle connection; sequential requests/s
(httpx, and wrk over one keep-alive connection);
and what happens with 5/20/100 concurrent connections at -X heapsize=64k.

Usage: python bench/mpy_server.py   (needs micropython, mpy-cross, microdot)
"""
import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import httpx
from plugdot_mpy_server.bundle import LOAD_END, LOAD_START

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PLUGDOT_APP = '''
import gc
from plugdot import App
app = App()

@app.get('/')
async def index(request):
    return 'Hello, World!'

@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_alloc())
'''

# plugdot runs as `plugdot bundle` ships it: the hook table replayed, .mpy files.
PLUGDOT_MAIN = '''
import sys
%(load_start)s
sys.path.insert(0, %%(lib)r)
import plugdot_bundled
from hello import app
from plugdot_mpy_server import Limits, serve
%(load_end)s
serve(app, '127.0.0.1', %%(port)d, limits=Limits(max_connections=%%(cap)d), access_log=False)
''' % {'load_start': LOAD_START, 'load_end': LOAD_END}  # as the generated main.py loads

MICRODOT_MAIN = '''
import gc, sys
sys.path.insert(0, %(lib)r)
from microdot import Microdot
app = Microdot()

@app.get('/')
async def index(request):
    return 'Hello, World!'

@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_alloc())

app.run(host='127.0.0.1', port=%(port)d)
'''


def bundle_hello(work):
    """The hello app bundled by `plugdot bundle`; return (folder, .mpy bytes)."""
    from plugdot_mpy_server.bundle import make_bundle
    app_file = os.path.join(work, 'hello.py')
    with open(app_file, 'w') as f:
        f.write(PLUGDOT_APP)
    out = os.path.join(work, 'plugdot')
    rows, _ = make_bundle(app_file, [], out)
    return out, sum(compiled for path, _, compiled in rows if compiled)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def launch(command, port, cwd=None, env=None):
    """Start *command* and wait for it to listen on *port*: (url or None, process)."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None, proc
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return 'http://127.0.0.1:%d' % port, proc
        except OSError:
            time.sleep(0.05)
    return None, proc


class Target:
    """A main script (a template of lib, port, cap) run with the .mpy files in
    *lib*; *exercise(url, n)* is its workload for `serves` (GET / if None)."""

    def __init__(self, name, main, lib, exercise=None, exe=None):
        self.name, self.main, self.lib = name, main, lib
        self.exe = exe or MICROPYTHON  # another unix port: 32-bit, or firmware with it frozen
        if exercise:
            self.exercise = exercise

    def start(self, heap, cap=8):
        port = free_port()
        script = os.path.join(self.lib, 'main_%s.py' % self.name)
        with open(script, 'w') as f:
            f.write(self.main % {'lib': self.lib, 'port': port, 'cap': cap})
        return launch([self.exe, '-X', 'heapsize=%s' % heap, script], port)


def stop(proc):
    proc.kill()
    proc.wait(5)


def get_root(url, n):
    """The hello workload: *n* sequential GET / over one client; True if all succeed."""
    with httpx.Client(timeout=5) as c:
        return all(c.get(url + '/').status_code == 200 for _ in range(n))


def serves(target, heap, n=100):
    """True if *target* starts in *heap* and serves its workload of *n* requests
    (``target.exercise(url, n)``, GET / by default) and is still running."""
    url, proc = target.start(heap)
    try:
        if url is None:
            return False
        if not getattr(target, 'exercise', get_root)(url, n):
            return False
        return proc.poll() is None
    except (httpx.HTTPError, OSError):
        return False
    finally:
        stop(proc)


def min_heap(target):
    lo, hi = 8, 512  # KB
    if not serves(target, '%dk' % hi):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if serves(target, '%dk' % mid):
            hi = mid
        else:
            lo = mid
    return hi


def steady(target, heap='512k'):
    url, proc = target.start(heap, cap=16)
    try:
        with httpx.Client(timeout=5) as c:
            for _ in range(1000):
                c.get(url + '/')
            after = int(c.get(url + '/mem').text)
            t0 = time.perf_counter()
            for _ in range(500):
                c.get(url + '/')
            rate = 500 / (time.perf_counter() - t0)
            base = int(c.get(url + '/mem').text)
        idle = [socket.create_connection((url.split('//')[1].split(':')[0],
                                          int(url.rsplit(':', 1)[1]))) for _ in range(10)]
        time.sleep(0.3)
        with httpx.Client(timeout=5) as c:
            with_idle = int(c.get(url + '/mem').text)
        for s in idle:
            s.close()
        return after, (with_idle - base) / 10, rate
    finally:
        stop(proc)


def wrk_rate(target, heap='512k'):
    """Sequential requests/s over one keep-alive connection, loaded by wrk
    (a client in C: httpx's own cost per request would cap the rate)."""
    if not shutil.which('wrk'):
        return 'wrk not installed'
    url, proc = target.start(heap, cap=16)
    try:
        out = subprocess.run(['wrk', '-t1', '-c1', '-d3s', url + '/'], capture_output=True,
                             text=True, timeout=30).stdout
        rate = [line.split()[1] for line in out.splitlines() if line.startswith('Requests/sec')]
        return int(float(rate[0])) if rate else 'failed'
    finally:
        stop(proc)


def concurrency(target, n, heap='64k'):
    url, proc = target.start(heap)
    if url is None:
        stop(proc)
        return 'does not start'

    def one(_):
        try:
            return httpx.get(url + '/', timeout=10).status_code
        except httpx.HTTPError as exc:
            return type(exc).__name__
    try:
        with concurrent.futures.ThreadPoolExecutor(n) as pool:
            codes = list(pool.map(one, range(n)))
        alive = proc.poll() is None
        ok = codes.count(200)
        busy = codes.count(503)
        other = n - ok - busy
        return '%d ok, %d 503, %d failed%s' % (ok, busy, other, '' if alive else ', PROCESS DIED')
    finally:
        stop(proc)


MICROPYTHON = shutil.which('micropython')


def main():
    import microdot
    work = tempfile.mkdtemp(prefix='mpybench-')
    md_lib = os.path.join(work, 'microdot')
    pd_lib, pd_size = bundle_hello(work)
    md_src = os.path.dirname(os.path.dirname(microdot.__file__))
    os.makedirs(os.path.join(md_lib, 'microdot'))
    md_size = 0
    for name in ('__init__.py', 'microdot.py', 'helpers.py'):
        target = os.path.join(md_lib, 'microdot', name[:-3] + '.mpy')
        subprocess.run(['mpy-cross', '-o', target, os.path.join(md_src, 'microdot', name)], check=True)
        md_size += os.path.getsize(target)
    targets = [Target('plugdot', PLUGDOT_MAIN, pd_lib), Target('microdot', MICRODOT_MAIN, md_lib)]
    rows = {}
    for t in targets:
        row = {'.mpy bytes': pd_size if t.name == 'plugdot' else md_size}
        row['min heap KB (100 req)'] = min_heap(t)
        after, idle, rate = steady(t)
        row['heap after 1000 req'] = after
        row['bytes per idle conn'] = int(idle)
        row['sequential req/s'] = int(rate)
        row['sequential req/s (wrk)'] = wrk_rate(t)
        for n in (5, 20, 100):
            row['%d concurrent @64k' % n] = concurrency(t, n)
        rows[t.name] = row
    keys = list(rows['plugdot'])
    print('%-24s %-36s %-36s' % ('', 'plugdot', 'Microdot ' + microdot.__version__
                                 if hasattr(microdot, '__version__') else 'Microdot'))
    for k in keys:
        print('%-24s %-36s %-36s' % (k, rows['plugdot'][k], rows['microdot'][k]))
    shutil.rmtree(work)


if __name__ == '__main__':
    sys.exit(main())
