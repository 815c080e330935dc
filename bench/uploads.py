"""Uploads side by side, in one run.

1. CPython, under uvicorn (one worker): a 100 MB file posted with
   ``curl -F`` and saved to disk, plugdot (plugdot-uploads, python-multipart)
   vs Starlette (python-multipart) vs MicroPie (multipart), each written the
   way its documentation shows. Throughput (MB/s, best of 3 interleaved
   rounds) and the server's peak RSS over its RSS before the upload (the
   peak is reset through /proc/PID/clear_refs before each upload).
2. MicroPython unix port: a 1 MB file streamed to disk by plugdot (a
   ``plugdot bundle`` with the uploads plugin, ``request.parts()``) vs
   Microdot (``FormDataIter`` + ``FileUpload.save``), both compiled with the
   same mpy-cross: the smallest heap that takes the upload (twice), and the
   heap in use (after a collection, sampled every 5 ms) before and at its
   peak while the file streams the second time, at -X heapsize=512k.

Usage: python bench/uploads.py   (hatch run bench:uploads; needs curl)
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpy_server import MICROPYTHON, free_port, launch, stop  # noqa: E402

MB = 1024 * 1024
SIZE = 100 * MB

PLUGDOT_APP = '''
import os
from plugdot import App
app = App(plugins=['uploads'], config={'uploads_max_body_size': 200 * 1024 * 1024,
                                       'uploads_max_file_size': 200 * 1024 * 1024})

@app.post('/upload')
async def upload(request):
    f = request.files['doc']
    await f.save(os.path.join(os.environ['SAVE_DIR'], 'plugdot.bin'))
    return {'size': f.size}
'''

STARLETTE_APP = '''
import os
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def upload(request):
    async with request.form(max_part_size=200 * 1024 * 1024) as form:
        f = form['doc']
        size = 0
        with open(os.path.join(os.environ['SAVE_DIR'], 'starlette.bin'), 'wb') as out:
            while chunk := await f.read(1024 * 1024):
                out.write(chunk)
                size += len(chunk)
    return JSONResponse({'size': size})

app = Starlette(routes=[Route('/upload', upload, methods=['POST'])])
'''

MICROPIE_APP = '''
import os
from micropie import App

class Root(App):
    async def upload(self, doc):
        queue = doc['content']
        size = 0
        with open(os.path.join(os.environ['SAVE_DIR'], 'micropie.bin'), 'wb') as out:
            while (chunk := await queue.get()) is not None:
                out.write(chunk)
                size += len(chunk)
        return {'size': size}

app = Root(max_body_size=200 * 1024 * 1024)
'''

FRAMEWORKS = [('plugdot', PLUGDOT_APP), ('Starlette', STARLETTE_APP), ('MicroPie', MICROPIE_APP)]


def make_file(path, size):
    block = hashlib.sha256(b'bench').digest() * (MB // 32)
    with open(path, 'wb') as f:
        for i in range(size // MB):
            f.write(bytes([i % 256]) + block[1:])


def status(pid):
    with open('/proc/%d/status' % pid) as f:
        fields = dict(line.split(':', 1) for line in f if ':' in line)
    return int(fields['VmRSS'].split()[0]) * 1024, int(fields['VmHWM'].split()[0]) * 1024


def post(url, path):
    started = time.perf_counter()
    out = subprocess.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-F',
                          'doc=@%s;filename=big.bin' % path, url], capture_output=True, text=True,
                         timeout=300)
    return out.stdout.strip(), time.perf_counter() - started


def check_micropie_multipart():
    # python-multipart ships a "multipart" compatibility package that can shadow the
    # "multipart" module MicroPie needs, when both are installed in one environment.
    import multipart
    if not hasattr(multipart, 'PushMultipartParser'):
        raise SystemExit('MicroPie needs the "multipart" package, but "import multipart" finds %s '
                         '(python-multipart\'s shim): reinstall multipart' % multipart.__file__)


def cpython_rows(work):
    check_micropie_multipart()
    src = os.path.join(work, 'big.bin')
    make_file(src, SIZE)
    warm = os.path.join(work, 'warm.bin')
    make_file(warm, 2 * MB)
    servers = {}
    for name, code in FRAMEWORKS:
        folder = os.path.join(work, name)
        os.makedirs(os.path.join(folder, 'saved'))
        with open(os.path.join(folder, 'benchapp.py'), 'w') as f:
            f.write(code)
        port = free_port()
        env = dict(os.environ, SAVE_DIR=os.path.join(folder, 'saved'))
        url, proc = launch([sys.executable, '-m', 'uvicorn', '--app-dir', folder, 'benchapp:app',
                            '--port', str(port), '--log-level', 'warning'], port, env=env)
        if url is None:
            raise SystemExit('%s did not start: %s' % (name, proc.stdout.read().decode()))
        servers[name] = (url + '/upload', proc, folder)
        post(url + '/upload', warm)
    best = dict((name, 0.0) for name, _ in FRAMEWORKS)
    peak = dict((name, 0) for name, _ in FRAMEWORKS)
    for _ in range(3):
        for name, _ in FRAMEWORKS:
            url, proc, folder = servers[name]
            with open('/proc/%d/clear_refs' % proc.pid, 'w') as f:
                f.write('5')
            rss_before, _ = status(proc.pid)
            code, seconds = post(url, src)
            _, hwm = status(proc.pid)
            saved = os.path.join(folder, 'saved', name.lower() + '.bin')
            ok = code == '200' and os.path.getsize(saved) == SIZE
            if not ok:
                print('%s: HTTP %s, saved %s bytes' % (name, code, os.path.exists(saved) and os.path.getsize(saved)))
                continue
            best[name] = max(best[name], SIZE / MB / seconds)
            peak[name] = max(peak[name], hwm - rss_before)
    for name, _ in FRAMEWORKS:
        stop(servers[name][1])
    return best, peak


PLUGDOT_BOARD_APP = '''
import sampler
from plugdot import App
from plugdot_uploads import upload_limits
app = App()
SAVE = None

@app.post('/flash', stream=True)
@upload_limits(max_body_size=2 * 1024 * 1024, max_file_size=2 * 1024 * 1024)
async def flash(request):
    task = sampler.start()
    try:
        async for part in request.parts():
            if part.filename:
                await part.save(SAVE + '/plugdot.bin')
    finally:
        await sampler.finish(task)
    return 'ok'

@app.get('/heap')
async def heap(request):
    return '%d %d' % (sampler.state['before'], sampler.state['peak'])
'''

SAMPLER = '''
import asyncio, gc
state = {'peak': 0, 'before': 0, 'active': False}

async def sample():
    while state['active']:
        gc.collect()
        state['peak'] = max(state['peak'], gc.mem_alloc())
        await asyncio.sleep_ms(5)

def start():
    gc.collect()
    state['before'] = state['peak'] = gc.mem_alloc()
    state['active'] = True
    return asyncio.create_task(sample())

async def finish(task):
    state['active'] = False
    await task
'''

PLUGDOT_BOARD_MAIN = '''
import sys
sys.path.insert(0, %(lib)r)
import plugdot_bundled
import board_app
from plugdot_mpy_server import Limits, serve
board_app.SAVE = %(save)r
serve(board_app.app, '127.0.0.1', %(port)d, access_log=False, limits=Limits(max_body_size=2 * 1024 * 1024))
'''

MICRODOT_BOARD_MAIN = '''
import sys
sys.path.insert(0, %(lib)r)
import sampler
from microdot import Microdot, Request
from microdot.multipart import FileUpload, FormDataIter
Request.max_content_length = 2 * 1024 * 1024   # the body is then a stream, past max_body_length
app = Microdot()

@app.post('/flash')
async def flash(request):
    task = sampler.start()
    try:
        async for name, value in FormDataIter(request):
            if isinstance(value, FileUpload):
                await value.save(%(save)r + '/microdot.bin')
    finally:
        await sampler.finish(task)
    return 'ok'

@app.get('/heap')
async def heap(request):
    return '%%d %%d' %% (sampler.state['before'], sampler.state['peak'])

app.run(host='127.0.0.1', port=%(port)d)
'''


def board_libs(work):
    """(plugdot bundle folder, Microdot .mpy folder), both with sampler.py."""
    import microdot
    from plugdot_mpy_server.bundle import make_bundle
    app_file = os.path.join(work, 'board_app.py')
    with open(app_file, 'w') as f:
        f.write(PLUGDOT_BOARD_APP)
    with open(os.path.join(work, 'sampler.py'), 'w') as f:
        f.write(SAMPLER)
    sys.path.insert(0, work)
    pd_lib = os.path.join(work, 'pd')
    make_bundle(app_file, ['uploads'], pd_lib)
    md_lib = os.path.join(work, 'md')
    md_src = os.path.dirname(os.path.dirname(microdot.__file__))
    os.makedirs(os.path.join(md_lib, 'microdot'))
    for name in ('__init__.py', 'microdot.py', 'helpers.py', 'multipart.py'):
        subprocess.run(['mpy-cross', '-o', os.path.join(md_lib, 'microdot', name[:-3] + '.mpy'),
                        os.path.join(md_src, 'microdot', name)], check=True)
    for lib in (pd_lib, md_lib):
        with open(os.path.join(lib, 'sampler.py'), 'w') as f:
            f.write(SAMPLER)
    return pd_lib, md_lib


def board_upload(main, lib, heap, save, data):
    """Serve *main* at *heap*, post *data*; (saved identical?, before, peak) or None."""
    port = free_port()
    script = os.path.join(lib, 'main_bench.py')
    with open(script, 'w') as f:
        f.write(main % {'lib': lib, 'port': port, 'save': save})
    url, proc = launch([MICROPYTHON, '-X', 'heapsize=%s' % heap, script], port)
    if url is None:
        stop(proc)
        return None
    import httpx
    try:
        name = 'plugdot.bin' if 'plugdot_bundled' in main else 'microdot.bin'
        target = os.path.join(save, name)
        if os.path.exists(target):
            os.remove(target)
        try:
            for _ in range(2):  # the second upload is measured: code loaded on first use is loaded
                r = httpx.post(url + '/flash', files={'image': ('fw.bin', data)}, timeout=60)
        except httpx.HTTPError:
            return None
        if r.status_code != 200 or not os.path.exists(target):
            return None
        with open(target, 'rb') as f:
            same = f.read() == data
        before, peak = map(int, httpx.get(url + '/heap', timeout=10).text.split())
        return same, before, peak
    finally:
        stop(proc)


def board_rows(work):
    pd_lib, md_lib = board_libs(work)
    save = os.path.join(work, 'flash')
    os.makedirs(save)
    data = os.urandom(MB)
    rows = {}
    for name, main, lib in (('plugdot', PLUGDOT_BOARD_MAIN, pd_lib),
                            ('Microdot', MICRODOT_BOARD_MAIN, md_lib)):
        smallest = None
        for heap in ('48k', '64k', '96k', '128k', '160k', '192k', '256k', '384k', '512k'):
            got = board_upload(main, lib, heap, save, data)
            if got and got[0]:
                smallest = heap
                break
        got = board_upload(main, lib, '512k', save, data)
        rows[name] = (smallest, got)
    return rows


def main():
    work = tempfile.mkdtemp(prefix='uploadbench-')
    try:
        best, peak = cpython_rows(work)
        print('\n100 MB upload under uvicorn, curl -F, saved to disk (best of 3)\n')
        print('| framework | MB/s | × plugdot | peak RSS over before, MB |')
        print('|---|---|---|---|')
        for name, _ in FRAMEWORKS:
            ratio = best[name] / best['plugdot'] if best['plugdot'] else 0
            print('| %s | %.0f | %.2f | %.1f |' % (name, best[name], ratio, peak[name] / MB))
        rows = board_rows(work)
        print('\n1 MB upload streamed to disk on the MicroPython unix port\n')
        print('| framework | smallest heap | heap in use before (512k) | peak while streaming | grew by | identical |')
        print('|---|---|---|---|---|---|')
        for name, (smallest, got) in rows.items():
            if got is None:
                print('| %s | %s | failed at 512k | | | |' % (name, smallest))
                continue
            same, before, peak_heap = got
            print('| %s | %s | %d | %d | %d | %s |' % (name, smallest, before, peak_heap,
                                                       peak_heap - before, same))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
