"""A page whose CSS, JS and image come from /static, for the server and
browser tests, on CPython (hypercorn, uvicorn, the mpy-server) and under
MicroPython (the mpy-server).

Usage: python|micropython serve_site.py REPO_ROOT PORT SERVER SITE_DIR [CORS_ORIGIN]
SERVER is hypercorn, uvicorn or mpy. With CORS_ORIGIN the plugdot-cors
plugin allows that origin (the cross-origin browser test)."""
import sys

root, port, server, site = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for package in ('core', 'mpy-server', 'static', 'cors'):
    sys.path.insert(0, root + '/packages/%s/src' % package)

from plugdot import App  # noqa: E402
from plugdot_static import StaticFiles  # noqa: E402

PAGE = ('<!doctype html><html><head><title>static site</title>'
        '<link rel="stylesheet" href="/static/style.css"></head>'
        '<body><div id="box">box</div><img id="logo" src="/static/logo.png" alt="logo">'
        '<script src="/static/app.js"></script></body></html>')

config = {}
if len(sys.argv) > 5:
    config = {'cors_allowed_origins': [sys.argv[5]], 'cors_allow_credentials': True}
app = App(config=config, plugins=['plugdot_static', 'plugdot_cors'])
app.mount(StaticFiles(site), '/static')


@app.get('/')
async def page(request):
    return PAGE


LOGINS = []


@app.get('/logins')
async def logins(request):
    return {'count': len(LOGINS)}


@app.post('/login')
async def login(request):
    LOGINS.append(1)
    from plugdot import Response
    response = Response('{"ok": true}', content_type='application/json')
    response.set_cookie('who', request.json['user'])
    return response


@app.get('/whoami')
async def whoami(request):
    return {'user': request.cookies.get('who')}


if server == 'uvicorn':
    import uvicorn
    uvicorn.run(app, host='127.0.0.1', port=port, log_level='warning')
elif server == 'hypercorn':
    from plugdot.serve import serve
    serve(app, '127.0.0.1', port, 'hypercorn')
else:
    from plugdot_mpy_server import serve
    serve(app, '127.0.0.1', port, access_log=False)
