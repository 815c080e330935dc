"""The same endpoints in every framework, each written the way that
framework's documentation shows. Each factory returns an ASGI callable:

* ``GET /`` -> ``Hello, World!``; ``GET /users/<id>`` -> ``{"id": id}``;
* ``POST /echo`` -> the JSON body, parsed and encoded again;
* ``POST /form`` -> ``Hello, <name>`` from an urlencoded form;
* with ``routes=n``: ``n`` more dynamic routes ``/things<i>/<id>`` -> ``<id>``
  (the route-resolution scenarios request the last one);
* with ``sessions=True``: the framework's cookie session middleware and
  ``GET /count``, which reads and writes a counter in the session
  (``sessions='memory'``: plugdot's server-side memory store instead; the
  Redis store with a ``redis-server`` the run starts on 127.0.0.1).

The session middleware is only added for the session scenario, so that it
does not slow the others down.

Nothing is imported here at module level: ``startup.py`` times ``import
apps`` with each framework's app, so each framework pays for what it imports
(json included)."""

SECRET = 'bench-secret-0123456789abcdef0123'


def raw_asgi(routes=0, sessions=False):
    """Hand-written ASGI: the floor every framework is measured against."""
    if routes or sessions:
        raise NotImplementedError

    import json

    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        path = scope['path']
        if path == '/':
            body, ctype = b'Hello, World!', b'text/plain'
        elif path.startswith('/users/'):
            body, ctype = json.dumps({'id': int(path[7:])}).encode(), b'application/json'
        elif path == '/echo':
            message = await receive()
            body = json.dumps(json.loads(message['body']), separators=(',', ':')).encode()
            ctype = b'application/json'
        elif path == '/form':
            from urllib.parse import parse_qs
            message = await receive()
            body = b'Hello, ' + parse_qs(message['body'].decode())['name'][0].encode()
            ctype = b'text/plain'
        else:
            body, ctype = b'Not Found', b'text/plain'
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-type', ctype), (b'content-length', str(len(body)).encode())]})
        await send({'type': 'http.response.body', 'body': body})
    return app


def plugdot(routes=0, sessions=False):
    from plugdot import App
    config = {}
    if sessions:
        config = {'secret_key': SECRET}
        if sessions is not True:  # 'memory' or a redis:// URL: a server-side store
            config['session_backend'] = sessions
    app = App(config=config)

    @app.get('/')
    async def hello(request):
        return 'Hello, World!'

    @app.get('/users/<int:id>')
    async def user(request, id):
        return {'id': id}

    @app.post('/echo')
    async def echo(request):
        return request.json

    @app.post('/form')
    async def form(request):
        return 'Hello, ' + request.form['name']

    for i in range(routes):
        async def thing(request, id):
            return id
        app.route('/things%d/<id>' % i)(thing)

    if sessions:
        @app.get('/count')
        async def count(request):
            request.session['n'] = request.session.get('n', 0) + 1
            return 'ok'
    return app


def plugdot_memory(routes=0, sessions=False):
    """plugdot with the server-side memory store (the session scenario only)."""
    if not sessions:
        raise NotImplementedError
    return plugdot(routes, 'memory')


def plugdot_redis(routes=0, sessions=False):
    """plugdot with the Redis store (the session scenario only), talking to a
    ``redis-server`` started for the run on 127.0.0.1 (skipped without one).
    Its wait for Redis is not CPU time of this process: run with ``--clock
    wall`` to count it."""
    if not sessions:
        raise NotImplementedError
    return plugdot(routes, _redis_url())


_REDIS = []


def _redis_url():
    import atexit
    import shutil
    import socket
    import subprocess
    import time
    if not _REDIS:
        exe = shutil.which('redis-server')
        if exe is None:
            raise ImportError('no redis-server on PATH')
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([exe, '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                                 '--appendonly', 'no'], stdout=subprocess.DEVNULL)
        atexit.register(proc.terminate)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    proc.terminate()
                    raise ImportError('redis-server did not start')
                time.sleep(0.05)
        _REDIS.append('redis://127.0.0.1:%d/0' % port)
    return _REDIS[0]


def starlette(routes=0, sessions=False):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse('Hello, World!')

    async def user(request):
        return JSONResponse({'id': request.path_params['id']})

    async def echo(request):
        return JSONResponse(await request.json())

    async def form(request):
        return PlainTextResponse('Hello, ' + (await request.form())['name'])

    async def thing(request):
        return PlainTextResponse(request.path_params['id'])

    async def count(request):
        request.session['n'] = request.session.get('n', 0) + 1
        return PlainTextResponse('ok')
    table = [Route('/', hello), Route('/users/{id:int}', user), Route('/echo', echo, methods=['POST']),
             Route('/form', form, methods=['POST'])]
    table += [Route('/things%d/{id}' % i, thing) for i in range(routes)]
    middleware = []
    if sessions:
        table.append(Route('/count', count))
        middleware = [Middleware(SessionMiddleware, secret_key=SECRET)]
    return Starlette(routes=table, middleware=middleware)


def blacksheep(routes=0, sessions=False):
    from blacksheep import Application, json as bs_json, text
    app = Application()
    if sessions:
        app.use_sessions(SECRET)

    @app.router.get('/')
    async def hello():
        return text('Hello, World!')

    @app.router.get('/users/{id}')
    async def user(id: int):
        return bs_json({'id': id})

    @app.router.post('/echo')
    async def echo(request):
        return bs_json(await request.json())

    @app.router.post('/form')
    async def form(request):
        return text('Hello, ' + (await request.form())['name'])

    for i in range(routes):
        async def thing(id: str):
            return text(id)
        app.router.add_get('/things%d/{id}' % i, thing)

    if sessions:
        @app.router.get('/count')
        async def count(request):
            request.session['n'] = request.session.get('n', 0) + 1
            return text('ok')
    return app


def muffin(routes=0, sessions=False):
    import muffin as mf
    app = mf.Application()

    @app.route('/')
    async def hello(request):
        return 'Hello, World!'

    @app.route('/users/{id:int}')
    async def user(request):
        return {'id': int(request.path_params['id'])}

    @app.route('/echo', methods=['POST'])
    async def echo(request):
        return await request.json()

    @app.route('/form', methods=['POST'])
    async def form(request):
        return 'Hello, ' + (await request.form())['name']

    for i in range(routes):
        async def thing(request):
            return request.path_params['id']
        app.route('/things%d/{id}' % i)(thing)

    if sessions:
        import muffin_session
        session = muffin_session.Plugin(app, secret_key=SECRET)

        @app.route('/count')
        async def count(request):
            ses = session.load_from_request(request)
            ses['n'] = ses.get('n', 0) + 1
            response = mf.Response('ok')
            session.save_to_response(ses, response)
            return response
    return app


def micropie(routes=0, sessions=False):
    if routes:
        raise NotImplementedError  # routes are the App's methods, one segment each
    from micropie import App as MicroPieApp

    class Root(MicroPieApp):
        async def index(self):
            return 'Hello, World!'

        async def users(self, id):
            return {'id': int(id)}

        async def echo(self):
            return self.request.json()

        async def form(self):
            return 'Hello, ' + self.request.form('name')

        async def count(self):
            self.request.session['n'] = self.request.session.get('n', 0) + 1
            return 'ok'
    return Root()


def microdot(routes=0, sessions=False):
    from microdot.asgi import Microdot as AsgiMicrodot
    app = AsgiMicrodot()

    @app.get('/')
    async def hello(request):
        return 'Hello, World!'

    @app.get('/users/<int:id>')
    async def user(request, id):
        return {'id': id}

    @app.post('/echo')
    async def echo(request):
        return request.json

    @app.post('/form')
    async def form(request):
        return 'Hello, ' + request.form['name']

    for i in range(routes):
        async def thing(request, id):
            return id
        app.get('/things%d/<id>' % i)(thing)

    if sessions:
        from microdot.session import Session, with_session
        Session(app, secret_key=SECRET)

        @app.get('/count')
        @with_session
        async def count(request, session):
            session['n'] = session.get('n', 0) + 1
            session.save()
            return 'ok'
    return app


FRAMEWORKS = {
    'raw ASGI': raw_asgi, 'plugdot': plugdot, 'BlackSheep': blacksheep, 'Muffin': muffin,
    'Starlette': starlette, 'MicroPie': micropie, 'Microdot': microdot,
}
#: Rows of the session scenario only.
SESSION_ONLY = {'plugdot (memory store)': plugdot_memory, 'plugdot (redis store)': plugdot_redis}
