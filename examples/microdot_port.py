"""A Microdot-style app as its users write one, running on plugdot unchanged
in spirit: decorator routes, hooks, error handlers, every Microdot return
form, cookies, a sub-app and a live stream. Run it with
``plugdot run examples/microdot_port.py:app``."""
import asyncio

from plugdot import App, Response, abort, redirect

app = App(plugins=[])
api = App(plugins=[])


@app.route('/')
async def index(request):
    return '<h1>Hello, world!</h1>', 200, {'Content-Type': 'text/html; charset=utf-8'}


@app.get('/users/<int:id>')
async def user(request, id):
    if id > 100:
        abort(404)
    return {'id': id, 'name': 'user%d' % id}


@app.post('/accepted')
async def accepted(request):
    return 202, {'X-Queue': 'jobs'}                 # status and headers, no body


@app.get('/teapot')
async def teapot(request):
    return 418


@app.get('/csv')
async def csv(request):
    return 'a,b\n1,2\n', 200, {'Content-Type': 'text/csv'}


@app.get('/login')
async def login(request):
    response = redirect('/')
    response.set_cookie('user', request.args.get('name', 'guest'), http_only=True)
    return response


@app.before_request
async def protect(request):
    if request.path.startswith('/admin') and request.cookies.get('user') != 'admin':
        return 'Forbidden', 403


@app.get('/admin')
async def admin(request):
    return 'Welcome, admin'


@app.errorhandler(404)
async def not_found(request):                       # Microdot's one-argument form
    return {'error': 'not found', 'path': request.path}, 404


@app.errorhandler(500)
async def crashed(request, error):
    return {'error': 'internal', 'kind': type(error).__name__}, 500


@app.get('/crash')
async def crash(request):
    raise ValueError('boom')


class Ticker:
    """A live feed that never ends by itself (async generators are not
    available on MicroPython, so it is a small class)."""

    def __init__(self):
        self.n = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n:
            await asyncio.sleep(0.05)
        self.n += 1
        return 'tick %d\n' % self.n


@app.get('/ticks')
async def ticks(request):
    return Ticker(), 200, {'Content-Type': 'text/plain; charset=utf-8'}


@api.get('/status')
async def status(request):
    return Response({'ok': True}, headers={'Cache-Control': 'no-store'})


app.mount(api, '/api')
