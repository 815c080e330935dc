"""The app the tests serve, on CPython and under MicroPython (portable)."""
from plugdot import App

app = App()


@app.get('/')
async def index(request):
    return 'ok'
