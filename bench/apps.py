"""The same two endpoints in every framework: GET / -> "Hello, World!" and
GET /users/<id> -> {"id": id}. Each factory returns an ASGI callable."""
import json


def raw_asgi():
    """Hand-written ASGI: the floor every framework is measured against."""
    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        path = scope['path']
        if path == '/':
            body, ctype = b'Hello, World!', b'text/plain'
        elif path.startswith('/users/'):
            body, ctype = json.dumps({'id': int(path[7:])}).encode(), b'application/json'
        else:
            body, ctype = b'Not Found', b'text/plain'
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-type', ctype), (b'content-length', str(len(body)).encode())]})
        await send({'type': 'http.response.body', 'body': body})
    return app


def plugdot():
    from plugdot import App
    app = App()

    @app.get('/')
    async def hello(request):
        return 'Hello, World!'

    @app.get('/users/<int:id>')
    async def user(request, id):
        return {'id': id}
    return app


def starlette():
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse('Hello, World!')

    async def user(request):
        return JSONResponse({'id': request.path_params['id']})
    return Starlette(routes=[Route('/', hello), Route('/users/{id:int}', user)])


def blacksheep():
    from blacksheep import Application, json as bs_json, text
    app = Application()

    @app.router.get('/')
    async def hello():
        return text('Hello, World!')

    @app.router.get('/users/{id}')
    async def user(id: int):
        return bs_json({'id': id})
    return app


def muffin():
    import muffin as mf
    app = mf.Application()

    @app.route('/')
    async def hello(request):
        return 'Hello, World!'

    @app.route('/users/{id:int}')
    async def user(request):
        return {'id': int(request.path_params['id'])}
    return app


def micropie():
    from micropie import App as MicroPieApp

    class Root(MicroPieApp):
        async def index(self):
            return 'Hello, World!'

        async def users(self, id):
            return {'id': int(id)}
    return Root()


def microdot():
    from microdot.asgi import Microdot as AsgiMicrodot
    app = AsgiMicrodot()

    @app.get('/')
    async def hello(request):
        return 'Hello, World!'

    @app.get('/users/<int:id>')
    async def user(request, id):
        return {'id': id}
    return app


FRAMEWORKS = {
    'raw ASGI': raw_asgi, 'plugdot': plugdot, 'BlackSheep': blacksheep, 'Muffin': muffin,
    'Starlette': starlette, 'MicroPie': micropie, 'Microdot': microdot,
}
