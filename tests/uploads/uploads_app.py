"""The upload app the real-server tests serve (and its launcher).

Usage: python uploads_app.py SERVER PORT  (SERVER: hypercorn, uvicorn, mpy)
Environment: SAVE_DIR (where uploads are saved), PLUGDOT_UPLOADS_TEMP_DIR
(the spool folder, watched for leftovers).
"""
import hashlib
import os
import sys

from plugdot import App
from plugdot_uploads import upload_limits

app = App(plugins=['plugdot_uploads'])
SAVE_DIR = os.environ.get('SAVE_DIR', '.')


def digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


@app.get('/')
async def page(request):
    return ('<!doctype html><form method="post" action="/upload" enctype="multipart/form-data">'
            '<input name="title" value="report"><input type="file" name="doc">'
            '<button id="go">Send</button></form>')


@app.post('/upload')
async def upload(request):
    out = {'form': dict(request.form), 'files': {}}
    for name, f in request.files.items_all():
        path = os.path.join(SAVE_DIR, f.filename)
        spooled = f.spooled
        await f.save(path)
        out['files'][name] = {'filename': f.filename, 'size': f.size, 'sha256': digest(path),
                              'spooled': spooled}
    return out


@app.post('/stream', stream=True)
async def stream(request):
    out = {}
    async for part in request.parts():
        if part.filename is None:
            out[part.name] = await part.text()
        else:
            path = os.path.join(SAVE_DIR, 'streamed-' + part.filename)
            size = await part.save(path)
            out[part.name] = {'size': size, 'sha256': digest(path)}
    return out


@app.post('/small')
@upload_limits(max_file_size=1000)
async def small(request):
    return {'size': request.files['f'].size}


@app.post('/boom')
async def boom(request):
    assert request.files['f'].spooled
    raise RuntimeError('the handler fails after the upload was spooled')


@app.get('/mem')
async def mem(request):
    with open('/proc/self/status') as f:
        fields = dict(line.split(':', 1) for line in f if ':' in line)
    return {k: int(fields[k].split()[0]) * 1024 for k in ('VmRSS', 'VmHWM')}


if __name__ == '__main__':
    server, port = sys.argv[1], int(sys.argv[2])
    if server == 'uvicorn':
        import uvicorn
        uvicorn.run(app, host='127.0.0.1', port=port, log_level='warning')
    elif server == 'hypercorn':
        import asyncio

        from hypercorn.asyncio import serve
        from hypercorn.config import Config
        config = Config()
        config.bind = ['127.0.0.1:%d' % port]
        asyncio.run(serve(app, config))
    else:
        from plugdot_mpy_server import Limits, serve
        serve(app, '127.0.0.1', port, access_log=False,
              limits=Limits.for_cpython(max_body_size=256 * 1024 * 1024))
