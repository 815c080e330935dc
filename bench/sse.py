"""Server-Sent Events side by side, in one run.

1. Events per second delivered to 1, 100 and 1,000 open streams under
   uvicorn (one worker), plugdot-sse vs sse-starlette. Every stream's
   handler waits until all streams are open, then sends its share of 20,000
   events (a small JSON object and an id each) as fast as the client takes
   them; the rate is all events over the time until the last stream ended.
   The client is one asyncio process over raw sockets (cheap per byte).
2. Memory per open (idle) stream on CPython: the server's RSS with 1,000
   streams open minus with one, over 999.
3. Heap per open stream on the MicroPython unix port: a `plugdot bundle
   --plugin sse` app vs Microdot's SSE (`microdot.sse`), both compiled by
   the same mpy-cross; gc.mem_alloc() with 3 idle streams open minus with
   none, over 3.

Usage: python bench/sse.py [--skip-board]
"""
import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import httpx
import psutil
from mpy_server import MICROPYTHON, free_port, launch, stop

TOTAL = 20000

PLUGDOT = '''
import asyncio
from plugdot import App
from plugdot_sse import with_sse

app = App(plugins=['plugdot_sse'], config={'sse_ping_interval': 0})
go = asyncio.Event()
state = {'open': 0}
PAYLOAD = {'sensor': 'boiler', 'value': 71.5}


@app.get('/stream')
@with_sse
async def stream(request, sse):
    m = int(request.query['m'])
    state['open'] += 1
    await go.wait()
    for i in range(m):
        await sse.send(PAYLOAD, id=str(i))


@app.post('/go')
async def start(request):
    go.set()
    return 'ok'


@app.get('/open')
async def opened(request):
    return str(state['open'])
'''

STARLETTE = '''
import asyncio
import json
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from sse_starlette.sse import EventSourceResponse

go = asyncio.Event()
state = {'open': 0}
PAYLOAD = {'sensor': 'boiler', 'value': 71.5}


async def stream(request):
    m = int(request.query_params['m'])

    async def events():
        state['open'] += 1
        await go.wait()
        for i in range(m):
            yield {'data': json.dumps(PAYLOAD, separators=(',', ':')), 'id': str(i)}
    return EventSourceResponse(events(), ping=3600)


async def start(request):
    go.set()
    return PlainTextResponse('ok')


async def opened(request):
    return PlainTextResponse(str(state['open']))


app = Starlette(routes=[Route('/stream', stream), Route('/go', start, methods=['POST']),
                        Route('/open', opened)])
'''


def serve(folder, module):
    port = free_port()
    proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', '--app-dir', folder, module + ':app',
                             '--port', str(port), '--log-level', 'error', '--backlog', '2048'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = 'http://127.0.0.1:%d' % port
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(base + '/open', timeout=1)
            return proc, port, base
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError('server did not start')
            time.sleep(0.1)


async def open_stream(port, m):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'GET /stream?m=%d HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n' % m)
    await writer.drain()
    return reader, writer


async def drain(reader):
    data = bytearray()
    while not data.endswith(b'0\r\n\r\n'):
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    return data.count(b'data:')


async def wait_open(base, n):
    async with httpx.AsyncClient(timeout=10) as c:
        deadline = time.monotonic() + 60
        while int((await c.get(base + '/open')).text) < n:
            if time.monotonic() > deadline:
                raise RuntimeError('only %s streams open' % (await c.get(base + '/open')).text)
            await asyncio.sleep(0.05)


async def rate(port, base, streams):
    m = TOTAL // streams
    conns = []
    for _ in range(streams):
        conns.append(await open_stream(port, m))
    await wait_open(base, streams)
    async with httpx.AsyncClient(timeout=10) as c:
        start = time.perf_counter()
        await c.post(base + '/go')
        counts = await asyncio.gather(*[drain(r) for r, _ in conns])
        elapsed = time.perf_counter() - start
    for _, w in conns:
        w.close()
    if sum(counts) != m * streams:
        raise RuntimeError('received %d of %d events' % (sum(counts), m * streams))
    return m * streams / elapsed


async def memory(port, base, pid, streams=1000):
    conns = [await open_stream(port, 1)]
    await wait_open(base, 1)
    process = psutil.Process(pid)
    time.sleep(0.3)
    before = process.memory_info().rss
    for _ in range(streams - 1):
        conns.append(await open_stream(port, 1))
    await wait_open(base, streams)
    time.sleep(0.3)
    after = process.memory_info().rss
    for _, w in conns:
        w.close()
    return (after - before) / (streams - 1)


def cpython_rows(work):
    results = {}
    for name, source in (('plugdot', PLUGDOT), ('sse-starlette', STARLETTE)):
        module = 'sseapp_' + name.replace('-', '_')
        with open(os.path.join(work, module + '.py'), 'w') as f:
            f.write(source)
        row = {}
        for streams in (1, 100, 1000):
            proc, port, base = serve(work, module)
            try:
                row[streams] = asyncio.run(rate(port, base, streams))
            finally:
                proc.terminate()
                proc.wait(10)
        proc, port, base = serve(work, module)
        try:
            row['memory'] = asyncio.run(memory(port, base, proc.pid))
        finally:
            proc.kill()
            proc.wait(10)
        results[name] = row
    return results


PLUGDOT_BOARD = '''
import asyncio
import gc
from plugdot import App
from plugdot_sse import with_sse

app = App()


@app.get('/stream')
@with_sse
async def stream(request, sse):
    await sse.send('hello')
    while True:
        await asyncio.sleep(60)


@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_alloc())
'''

MICRODOT_BOARD = '''
import asyncio
import gc
import sys
sys.path.insert(0, %(lib)r)
from microdot import Microdot
from microdot.sse import with_sse

app = Microdot()


@app.get('/stream')
@with_sse
async def stream(request, sse):
    await sse.send('hello')
    while True:
        await asyncio.sleep(60)


@app.get('/mem')
async def mem(request):
    gc.collect()
    return str(gc.mem_alloc())

app.run(host='127.0.0.1', port=%(port)d)
'''


def heap_per_stream(url, proc, n=3):
    """Heap held per open stream (bytes), after one stream warmed up."""
    try:
        with httpx.Client(timeout=5) as c:
            with c.stream('GET', url + '/stream') as r:
                got = b''
                raw = r.iter_raw()
                while b'hello' not in got:
                    got += next(raw)
            time.sleep(0.5)
            base = int(c.get(url + '/mem').text)
            streams = []
            for _ in range(n):
                s = httpx.stream('GET', url + '/stream', timeout=5)
                r = s.__enter__()
                if r.status_code != 200:
                    raise RuntimeError('stream refused: %d' % r.status_code)
                raw = r.iter_raw()
                got = b''
                while b'hello' not in got:  # the handler runs and has sent its event
                    got += next(raw)
                streams.append(s)
            time.sleep(0.3)
            held = int(c.get(url + '/mem').text)
            if os.environ.get('SSE_BENCH_DEBUG'):
                print(url, base, held)
            for s in streams:
                s.__exit__(None, None, None)
        return (held - base) // n
    finally:
        stop(proc)


def board_rows(work):
    app_file = os.path.join(work, 'boardsse.py')
    with open(app_file, 'w') as f:
        f.write(PLUGDOT_BOARD)
    out = os.path.join(work, 'board')
    subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', app_file, '-o', out,
                    '--plugin', 'sse'], check=True, capture_output=True)
    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    url, proc = launch([MICROPYTHON, '-X', 'heapsize=512k', 'main.py'], port, cwd=out, env=env)
    plugdot_heap = heap_per_stream(url, proc)
    import microdot
    src = os.path.dirname(microdot.__file__)
    lib = os.path.join(work, 'microdot-lib')
    os.makedirs(os.path.join(lib, 'microdot'))
    for name in ('__init__', 'microdot', 'helpers', 'sse'):
        subprocess.run(['mpy-cross', '-o', os.path.join(lib, 'microdot', name + '.mpy'),
                        os.path.join(src, name + '.py')], check=True)
    port = free_port()
    script = os.path.join(lib, 'main_sse.py')
    with open(script, 'w') as f:
        f.write(MICRODOT_BOARD % {'lib': lib, 'port': port})
    url, proc = launch([MICROPYTHON, '-X', 'heapsize=512k', script], port)
    microdot_heap = heap_per_stream(url, proc)
    return plugdot_heap, microdot_heap


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--skip-board', action='store_true')
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    work = tempfile.mkdtemp(prefix='ssebench-')
    try:
        rows = cpython_rows(work)
        p, s = rows['plugdot'], rows['sse-starlette']
        print('%-34s %14s %14s %10s' % ('uvicorn, 1 worker', 'plugdot-sse', 'sse-starlette',
                                         'ratio'))
        for streams in (1, 100, 1000):
            print('%-34s %14d %14d %9.2fx' % ('events/s to %d stream%s' % (
                streams, 's' if streams > 1 else ''), p[streams], s[streams],
                p[streams] / s[streams]))
        print('%-34s %14d %14d %9.2fx' % ('RSS per open stream, bytes', p['memory'],
                                          s['memory'], p['memory'] / s['memory']))
        if not args.skip_board:
            ph, mh = board_rows(work)
            print('%-34s %14s %14s' % ('MicroPython unix port', 'plugdot-sse', 'Microdot sse'))
            print('%-34s %14d %14d %9.2fx' % ('heap per open stream, bytes', ph, mh, ph / mh))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
