"""plugdot-websocket through the in-process TestClient (CPython and MicroPython)."""
import asyncio

from plugdot import App
from plugdot.testing import TestClient, WebSocketClosed, WebSocketRefused
from plugdot_websocket import Broadcast, ConnectionClosed, websocket_accept, with_websocket


def make_app(**config):
    app = App(config=config or None, plugins=['plugdot_websocket'])

    @app.route('/echo')
    @with_websocket
    async def echo(request, ws):
        async for message in ws:
            await ws.send(message)

    @app.route('/json')
    @with_websocket
    async def json_echo(request, ws):
        data = await ws.receive_json()
        await ws.send({'got': data})

    @app.route('/close/<int:code>')
    @with_websocket
    async def close(request, ws, code):
        await ws.close(code, 'bye')

    @app.route('/proto')
    @with_websocket(subprotocols=['chat.v2', 'chat.v1'])
    async def proto(request, ws):
        await ws.send(ws.subprotocol or 'none')

    @app.route('/boom')
    @with_websocket
    async def boom(request, ws):
        raise RuntimeError('handler bug')

    @app.route('/ticker')
    @with_websocket
    async def ticker(request, ws):
        # one task pushes updates while this one reads: sends must not interleave
        async def push():
            for i in range(20):
                await ws.send('tick %d' % i)
        pusher = asyncio.create_task(push())
        reply = await ws.receive()
        await pusher
        await ws.send('done ' + reply)

    @app.get('/manual')
    async def manual(request):
        if request.query.get('token') != 'ok':
            return 'forbidden', 403
        ws = await websocket_accept(request)
        await ws.send('welcome')
    return app


def test_echo_text_and_binary():
    client = TestClient(make_app())
    with client.websocket_connect('/echo') as ws:
        ws.send('hello')
        assert ws.receive() == 'hello'
        ws.send(b'\x00\x01\xff')
        assert ws.receive() == b'\x00\x01\xff'
        ws.send('x' * 100000)
        assert ws.receive() == 'x' * 100000


def test_json_messages():
    with TestClient(make_app()).websocket_connect('/json') as ws:
        ws.send_json({'a': [1, 2]})
        assert ws.receive_json() == {'got': {'a': [1, 2]}}
    with TestClient(make_app()).websocket_connect('/json') as ws:
        ws.send_json({'caf\u00e9': 0.5})  # written as a JSON response is: compact, UTF-8
        assert ws.receive() == '{"got":{"caf\u00e9":0.5}}'


def test_close_codes_reach_the_client():
    with TestClient(make_app()).websocket_connect('/close/4001') as ws:
        try:
            ws.receive()
        except WebSocketClosed as exc:
            assert (exc.code, exc.reason) == (4001, 'bye')
        else:
            raise AssertionError('expected a close')


def test_handler_error_closes_with_1011():
    with TestClient(make_app()).websocket_connect('/boom') as ws:
        try:
            ws.receive()
        except WebSocketClosed as exc:
            assert exc.code == 1011
        else:
            raise AssertionError('expected a close')


def test_oversize_message_closes_with_1009():
    with TestClient(make_app(websocket_max_message_size=10)).websocket_connect('/echo') as ws:
        ws.send('small')
        assert ws.receive() == 'small'
        ws.send('x' * 11)
        try:
            ws.receive()
        except WebSocketClosed as exc:
            assert exc.code == 1009
        else:
            raise AssertionError('expected a close')


def test_subprotocol_negotiation():
    client = TestClient(make_app())
    with client.websocket_connect('/proto', subprotocols=['chat.v1', 'chat.v2']) as ws:
        assert ws.subprotocol == 'chat.v2' and ws.receive() == 'chat.v2'
    with client.websocket_connect('/proto', subprotocols=['other']) as ws:
        assert ws.subprotocol is None and ws.receive() == 'none'


def test_concurrent_send_while_receiving():
    with TestClient(make_app()).websocket_connect('/ticker') as ws:
        ws.send('go')
        got = [ws.receive() for _ in range(21)]
        assert got[:20] == ['tick %d' % i for i in range(20)] and got[20] == 'done go'


def test_tasks_sending_at_once_take_turns():
    """Three tasks send through one WebSocket whose ASGI send is slow: each
    message goes out whole, one at a time, waiting tasks in order; the lock
    made for it is released after the burst (a later send does not wait)."""
    from plugdot_websocket.websocket import WebSocket
    sent, active = [], [0]

    async def slow_send(message):
        active[0] += 1
        assert active[0] == 1, 'two sends at once'
        await asyncio.sleep(0.002)
        sent.append(message.get('text') or message['type'])
        active[0] -= 1

    async def main():
        ws = WebSocket(None, slow_send)
        assert ws._send_turn is None  # no lock while nobody contends

        async def burst(name):
            for i in range(3):
                await ws.send('%s%d' % (name, i))
        tasks = [asyncio.create_task(burst(name)) for name in 'abc']
        for task in tasks:
            await task
        await asyncio.wait_for(ws.send('last'), 1)
        await ws.close()
        return ws

    ws = asyncio.run(main())
    assert sent[-2:] == ['last', 'websocket.close']
    assert sorted(sent[:-2]) == ['%s%d' % (n, i) for n in 'abc' for i in range(3)]
    assert sent[:3] == ['a0', 'b0', 'c0']  # in turn, first come first
    assert ws._send_turn is not True and not ws._send_turn.locked()


def test_websocket_accept_after_checks_and_refusal():
    client = TestClient(make_app())
    try:
        with client.websocket_connect('/manual'):
            pass
    except WebSocketRefused as exc:  # as a real client sees it: the HTTP answer
        assert (exc.status, exc.body, exc.code) == (403, b'forbidden', 1008), exc.status
    else:
        raise AssertionError('refused connection must not open')
    with client.websocket_connect('/manual?token=ok') as ws:
        assert ws.receive() == 'welcome'


def test_http_request_to_websocket_route_is_426():
    r = TestClient(make_app()).get('/echo')
    assert r.status_code == 426 and r.headers['upgrade'] == 'websocket'


def test_unknown_websocket_path_is_refused():
    try:
        with TestClient(make_app()).websocket_connect('/nowhere'):
            pass
    except WebSocketRefused as exc:
        assert exc.status == 404 and isinstance(exc, WebSocketClosed)
        return
    raise AssertionError('expected a refusal')


def test_a_plain_route_refuses_a_handshake_with_403():
    # A route that answers 2xx without accepting speaks plain HTTP (as on
    # uvicorn, hypercorn and the mpy-server: tests/websocket/test_websocket_servers.py)
    app = make_app()

    @app.get('/plain')
    async def plain(request):
        return {'user': None}
    client = TestClient(app)
    try:
        with client.websocket_connect('/plain'):
            pass
    except WebSocketRefused as exc:
        assert (exc.status, exc.body) == (403, b'This URL does not speak WebSocket'), exc.status
    else:
        raise AssertionError('a plain route must refuse the handshake')
    assert client.get('/plain').json() == {'user': None}


def test_origin_allow_list():
    app = make_app(websocket_allowed_origins=['https://good.example'])
    client = TestClient(app)
    with client.websocket_connect('/echo', headers={'Origin': 'https://good.example'}) as ws:
        ws.send('a')
        assert ws.receive() == 'a'
    try:
        with client.websocket_connect('/echo', headers={'Origin': 'https://evil.example'}):
            pass
    except WebSocketRefused as exc:
        assert exc.status == 403
        return
    raise AssertionError('a foreign origin must be refused')


class FakeSocket:
    """Stands in for a client in the broadcast test: records or fails."""

    def __init__(self, fail=False):
        self.fail = fail
        self.closed = False
        self.got = []

    async def send(self, message):
        if self.fail:
            raise ConnectionClosed(1006)
        self.got.append(message)


def test_broadcast_drops_dead_clients():
    clients = Broadcast()
    good, dead, closed = FakeSocket(), FakeSocket(fail=True), FakeSocket()
    closed.closed = True
    for ws in (good, dead, closed):
        clients.add(ws)
    loop = asyncio.new_event_loop()
    delivered = loop.run_until_complete(clients.send('news'))
    loop.close()
    assert delivered == 1 and good.got == ['news'] and len(clients) == 1


class LiveApp(App):
    """Class style: a method as a WebSocket endpoint."""

    @with_websocket
    async def live(self, ws, *segments):
        await ws.send('room %s via %s' % ('/'.join(segments), self.request.path))

    async def manual(self):
        ws = await websocket_accept(self.request)
        await ws.send('manual ok')


def test_class_style_endpoints():
    client = TestClient(LiveApp(plugins=['plugdot_websocket']))
    with client.websocket_connect('/live/kitchen') as ws:
        assert ws.receive() == 'room kitchen via /live/kitchen'
    with client.websocket_connect('/manual') as ws:
        assert ws.receive() == 'manual ok'


def test_idle_timeout_closes_with_1001():
    app = App(config={'websocket_idle_timeout': 0.2}, plugins=['plugdot_websocket'])

    @app.route('/quiet')
    @with_websocket
    async def quiet(request, ws):
        await ws.receive()

    with TestClient(app).websocket_connect('/quiet') as ws:
        try:
            ws.receive()
        except WebSocketClosed as exc:
            assert exc.code == 1001
        else:
            raise AssertionError('expected an idle close')


def test_broadcast_between_two_real_clients():
    app = App(plugins=['plugdot_websocket'])
    room = Broadcast()

    @app.route('/chat')
    @with_websocket
    async def chat(request, ws):
        room.add(ws)
        try:
            async for message in ws:
                await room.send(message)
        finally:
            room.discard(ws)

    with TestClient(app) as client:  # one event loop for both connections
        with client.websocket_connect('/chat') as alice:
            with client.websocket_connect('/chat') as bob:
                alice.send('hi all')
                assert alice.receive() == 'hi all' and bob.receive() == 'hi all'
            alice.send('bob left')
            assert alice.receive() == 'bob left' and len(room) == 1


def test_a_route_needing_an_unloaded_plugin_fails_when_declared():
    """Without the plugin a WebSocket route used to answer a bare 403 and log
    nothing: now declaring it names the plugin and how to load it. With the
    default plugins (App()), using the decorator is enough: CPython finds the
    plugin's entry point, a board running from source loads it then."""
    from plugdot import PluginError
    app = App(plugins=[])
    try:
        @app.route('/ws')
        @with_websocket
        async def lonely(request, ws):
            await ws.send('hi')
    except PluginError as exc:
        text = str(exc)
    else:
        raise AssertionError('declared without the plugin')
    assert "needs the plugin 'websocket'" in text and 'App(plugins=[...])' in text, text
    assert '--plugin websocket' in text and '/ws' in text, text

    app = App()

    @app.route('/ws')
    @with_websocket
    async def hello(request, ws):
        await ws.send('hi')

    with TestClient(app).websocket_connect('/ws') as ws:
        assert ws.receive() == 'hi'
