"""What the outside-in trial of session 10 met in its first hour: a stream's
disconnect watcher when the server's ``receive()`` fails (a MemoryError on a
board: the watcher died and endless streams outlived their visitors), and a
plugin's decorator put above the route's."""
import asyncio

from plugdot import App


def test_a_stream_stops_when_receive_fails():
    app = App(plugins=[])
    closed = []

    @app.get('/ticks')
    async def ticks(request):
        async def forever():
            try:
                while True:
                    yield 'tick\n'
                    await asyncio.sleep(0.01)
            finally:
                closed.append(True)
        return forever()

    calls = []

    async def receive():
        calls.append(1)
        if len(calls) == 1:
            return {'type': 'http.request', 'body': b'', 'more_body': False}
        await asyncio.sleep(0.05)
        raise MemoryError

    sent = []

    async def send(message):
        sent.append(message)

    scope = {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': 'GET',
             'scheme': 'http', 'path': '/ticks', 'raw_path': b'/ticks', 'query_string': b'',
             'root_path': '', 'headers': [], 'client': ('127.0.0.1', 1), 'server': None}

    async def main():
        await asyncio.wait_for(app(scope, receive, send), 5)
    asyncio.run(main())
    assert closed == [True]
    assert sent[0]['status'] == 200 and any(m.get('body') == b'tick\n' for m in sent[1:])


def test_a_plugin_decorator_above_the_route_names_the_fix():
    # The outside-in trial: @with_websocket above @app.route was told to drop `ws`.
    import pytest
    from plugdot_websocket import with_websocket
    app = App(plugins=['websocket'])
    with pytest.raises(TypeError) as info:
        @with_websocket
        @app.route('/echo')
        async def echo(request, ws):
            pass
    assert 'move @with_websocket below the route decorator, not above it' in str(info.value)


def test_a_request_attribute_no_plugin_provides_names_the_plugin(caplog):
    # The outside-in trial: request.session without plugdot-sessions loaded
    # was a bare AttributeError in the log.
    from plugdot.testing import TestClient
    app = App(plugins=[])

    @app.get('/')
    async def index(request):
        return str(request.session.get('n'))

    assert TestClient(app).get('/').status_code == 500
    assert "request.session comes from plugdot-sessions" in caplog.text
