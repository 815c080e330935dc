"""The app the tests serve, on CPython and under MicroPython (portable)."""
from plugdot import App, HTTPError

app = App()


@app.get('/')
async def index(request):
    return 'hello'


@app.get('/teapot')
async def teapot(request):
    raise HTTPError(418)


@app.before_request
def early(request):
    if request.path == '/early':
        return 'answered early', 202
