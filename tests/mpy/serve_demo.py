"""A demo app on plugdot-mpy-server, for tests and benchmarks under MicroPython.

Usage: micropython -X heapsize=N serve_demo.py LIBDIR PORT [max_connections [header_timeout]]
LIBDIR holds plugdot and plugdot_mpy_server (sources or .mpy files), or is
the repository root (then the packages' src folders are used).
"""
import gc
import sys

lib = sys.argv[1]
sys.path.insert(0, lib + '/packages/core/src')
sys.path.insert(0, lib + '/packages/mpy-server/src')
sys.path.insert(0, lib + '/packages/websocket/src')
sys.path.insert(0, lib)

from plugdot import App, Response  # noqa: E402
from plugdot_mpy_server import Limits, serve  # noqa: E402
from plugdot_websocket import with_websocket  # noqa: E402

app = App(plugins=['plugdot_websocket'])


@app.route('/ws')
@with_websocket
async def ws_echo(request, ws):
    async for message in ws:
        if isinstance(message, str) and message == 'close-please':
            await ws.close(4001, 'as asked')
            return
        await ws.send(message)


@app.get('/')
async def index(request):
    return 'Hello, World!'


@app.post('/echo')
async def echo(request):
    return request.body


@app.post('/json')
async def json_body(request):
    return {'type': type(request.json).__name__}


@app.get('/users/<int:id>')
async def user(request, id):
    return {'id': id}


@app.get('/client')
async def client(request):
    return {'client': request.client, 'url': request.url}


@app.get('/hog')
async def hog(request):
    # Fill the heap and hold it while the server's other tasks run (issue 16).
    import asyncio
    ms = int(float(request.query.get('s', '1')) * 1000)  # no float to make later
    hold = None
    for size in (1024, 64, 1):  # a chain of small blocks leaves no gap behind
        try:
            while True:
                hold = (hold, bytearray(size))
        except MemoryError:
            pass
    await asyncio.sleep_ms(ms)
    hold = None
    return 'released'


@app.get('/sized/<int:pad>/<int:body>')
async def sized(request, pad, body):
    # A head with a header of *pad* bytes and a body of *body*: around the
    # server's buffer (read_size), where the head goes on a board.
    return Response('b' * body, headers={'x-pad': 'p' * pad}, content_type='text/plain')


@app.get('/mem')
async def mem(request):
    gc.collect()
    return {'alloc': gc.mem_alloc(), 'free': gc.mem_free()}


cap = int(sys.argv[3]) if len(sys.argv) > 3 else 4
head = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
serve(app, '127.0.0.1', int(sys.argv[2]),
      limits=Limits(max_connections=cap, header_timeout=head, body_timeout=2.0,
                    keepalive_timeout=2.0, ws_ping_interval=1.0, ws_ping_timeout=1.0),
      access_log=False)
