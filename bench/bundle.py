"""`plugdot bundle` sizes and heap next to Microdot, compiled with the same
mpy-cross, on the MicroPython unix port: total .mpy bytes of the minimal
bundle (hello) and of the bundle with sessions + websocket, and the smallest
heap in which each imports and serves 100 requests.

Usage: python bench/bundle.py
"""
import os
import shutil
import subprocess
import sys
import tempfile

from mpy_server import HERE, free_port, launch, min_heap

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
'''


class BundleTarget:
    """A bundle directory run with its generated main.py."""

    def __init__(self, name, out):
        self.name, self.out = name, out

    def start(self, heap, cap=8):
        port = free_port()
        env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
        return launch([shutil.which('micropython'), '-X', 'heapsize=%s' % heap, 'main.py'], port,
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


def microdot_sizes(work):
    import microdot
    src = os.path.dirname(microdot.__file__)
    sizes = {}
    for name in ('microdot', 'session', 'websocket', 'helpers', '__init__'):
        target = os.path.join(work, 'md-%s.mpy' % name)
        subprocess.run(['mpy-cross', '-o', target, os.path.join(src, name + '.py')], check=True)
        sizes[name] = os.path.getsize(target)
    return sizes


def main():
    work = tempfile.mkdtemp(prefix='bundlebench-')
    hello_dir, hello_size = plugdot_bundle(work, 'hello', HELLO, [])
    full_dir, full_size = plugdot_bundle(work, 'full', FULL, ['sessions', 'websocket'])
    md = microdot_sizes(work)
    md_core = md['microdot']
    md_full = md_core + md['session'] + md['websocket']
    print('%-40s %12s %12s' % ('', 'plugdot', 'Microdot'))
    print('%-40s %12d %12d' % ('core / minimal bundle .mpy bytes', hello_size, md_core))
    print('%-40s %12d %12d' % ('+ session + websocket .mpy bytes', full_size, md_full))
    hello_heap = min_heap(BundleTarget('hello', hello_dir))
    full_heap = min_heap(BundleTarget('full', full_dir))
    print('%-40s %11sK %12s' % ('min heap, hello, 100 requests', hello_heap, '48.4K (issue)'))
    print('%-40s %11sK %12s' % ('min heap, session+websocket bundle', full_heap, '69.1K (issue)'))
    shutil.rmtree(work)


if __name__ == '__main__':
    main()
