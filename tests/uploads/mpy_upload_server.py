"""An upload server under the MicroPython unix port, for tests and the bench.

Usage: micropython -X heapsize=N mpy_upload_server.py ROOT PORT SAVE_DIR
POST /flash (streamed) writes the file part to SAVE_DIR; a sampler task
records the heap in use (after a collection) every 5 ms while it runs.
"""
import asyncio
import gc
import sys

root = sys.argv[1]
for sub in ('/packages/core/src', '/packages/mpy-server/src', '/packages/uploads/src'):
    sys.path.insert(0, root + sub)

from plugdot import App  # noqa: E402
from plugdot_mpy_server import Limits, serve  # noqa: E402
from plugdot_uploads import upload_limits  # noqa: E402

app = App(plugins=['plugdot_uploads'])
SAVE = sys.argv[3]
state = {'peak': 0, 'active': False}


async def sample():
    while state['active']:
        gc.collect()
        state['peak'] = max(state['peak'], gc.mem_alloc())
        state['samples'] += 1
        await asyncio.sleep_ms(5)


@app.post('/flash', stream=True)
@upload_limits(max_body_size=2 * 1024 * 1024, max_file_size=2 * 1024 * 1024)
async def flash(request):
    gc.collect()
    before = gc.mem_alloc()
    state['peak'] = before
    state['samples'] = 0
    state['active'] = True
    task = asyncio.create_task(sample())
    try:
        out = {}
        async for part in request.parts():
            if part.filename:
                out['size'] = await part.save(SAVE + '/' + part.filename)
            else:
                out[part.name] = await part.text()
    finally:
        state['active'] = False
        await task
    out['before'] = before
    out['peak'] = state['peak']
    out['samples'] = state['samples']
    return out


@app.post('/form')
async def form(request):
    f = request.files['f']
    await f.save(SAVE + '/form-' + f.filename)
    return {'title': request.form.get('title'), 'size': f.size}


serve(app, '127.0.0.1', int(sys.argv[2]), access_log=False,
      limits=Limits(max_body_size=2 * 1024 * 1024, body_timeout=10.0))
