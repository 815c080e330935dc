"""A decorator-style plugdot app (Flask/Microdot style).

Run it:  plugdot run examples/decorator_app.py:app   (or: hatch run serve)
"""
from plugdot import App, abort, redirect

app = App()

PAGE = """<!doctype html>
<title>plugdot</title>
<h1>Hello from plugdot</h1>
<p>Try <a href="/hello/Ada">/hello/Ada</a>, <a href="/add/2/3">/add/2/3</a>
or <a href="/search?q=pluggy">/search?q=pluggy</a>.</p>
"""


@app.get('/')
async def index(request):
    return PAGE


@app.get('/hello/<name>')
async def hello(request, name):
    return 'Hello, %s!' % name.replace('<', '&lt;')


@app.get('/add/<int:a>/<int:b>')
async def add(request, a, b):
    return {'a': a, 'b': b, 'sum': a + b}


@app.get('/search')
def search(request):  # a sync handler: runs in a worker thread on CPython
    query = request.query.get('q', '')
    if not query:
        abort(400, 'Missing ?q=')
    return {'query': query, 'results': []}


@app.get('/old')
async def old(request):
    return redirect('/')


@app.errorhandler(404)
async def not_found(request, error):
    return 'Nothing at %s' % request.path, 404


if __name__ == '__main__':
    app.run()
