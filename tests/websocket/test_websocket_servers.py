"""plugdot-websocket end to end with the `websockets` client library,
under hypercorn, uvicorn and the mpy-server on CPython."""
import subprocess
import sys

import httpx
import pytest
from support import ROOT, free_port, wait_for_port
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

APP = '''
import asyncio
from plugdot import App
from plugdot_websocket import with_websocket

app = App(plugins=['plugdot_websocket'], config={'websocket_max_message_size': 200000})

@app.route('/echo')
@with_websocket
async def echo(request, ws):
    async for message in ws:
        await ws.send(message)

@app.route('/close')
@with_websocket
async def close(request, ws):
    await ws.close(4000, 'custom')

@app.route('/push')
@with_websocket
async def push(request, ws):
    async def ticker():
        for i in range(50):
            await ws.send('t%d' % i)
    task = asyncio.create_task(ticker())
    got = await ws.receive()
    await task
    await ws.send('end ' + got)

@app.get('/plain')
async def plain(request):
    return {'user': None}

@app.route('/boom')
async def boom(request):
    raise RuntimeError('fails before any WebSocket is accepted')
'''


@pytest.fixture(scope='module', params=['hypercorn', 'uvicorn', 'mpy'])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp('wsapp')
    (folder / 'wsapp.py').write_text(APP)
    port = free_port()
    if request.param == 'uvicorn':
        command = ['-m', 'uvicorn', '--app-dir', str(folder), 'wsapp:app', '--port', str(port),
                   '--log-level', 'warning']
    else:
        command = ['-m', 'plugdot.cli', 'run', str(folder / 'wsapp.py') + ':app',
                   '--port', str(port), '--server', request.param]
    proc = subprocess.Popen([sys.executable, *command], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    yield 'ws://127.0.0.1:%d' % port, request.param
    proc.terminate()
    proc.wait(10)


def test_echo_text_binary_large_and_fragmented(server):
    server, _ = server
    with connect(server + '/echo', open_timeout=5, close_timeout=5) as ws:
        ws.send('hello')
        assert ws.recv(timeout=5) == 'hello'
        ws.send(b'\x00\xff' * 10)
        assert ws.recv(timeout=5) == b'\x00\xff' * 10
        for n in (4096, 16384, 16385, 150000):  # around the board's limit, and past it
            ws.send('y' * n)
            assert ws.recv(timeout=5) == 'y' * n
            ws.send(b'\x01' * n)
            assert ws.recv(timeout=5) == b'\x01' * n
        ws.send(['frag', 'mented', ' message'])  # continuation frames
        assert ws.recv(timeout=5) == 'fragmented message'


def test_server_close_code(server):
    server, _ = server
    with connect(server + '/close', open_timeout=5) as ws:
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd.code == 4000 and info.value.rcvd.reason == 'custom'


def test_concurrent_pushes_while_receiving(server):
    server, _ = server
    with connect(server + '/push', open_timeout=5) as ws:
        ws.send('go')
        got = [ws.recv(timeout=5) for _ in range(51)]
    assert got[:50] == ['t%d' % i for i in range(50)] and got[50] == 'end go'


def test_oversize_message_is_closed_with_1009(server):
    server, _ = server
    with connect(server + '/echo', open_timeout=5, max_size=None) as ws:
        ws.send('z' * 200001)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009


def test_bad_handshakes(server):
    server, _ = server
    http = server.replace('ws://', 'http://')
    r = httpx.get(http + '/echo', timeout=5)  # plain HTTP to a WebSocket route
    assert r.status_code == 426
    with pytest.raises(InvalidStatus):
        with connect(server + '/nowhere', open_timeout=5):
            pass
    r = httpx.get(http + '/echo', headers={'Upgrade': 'websocket', 'Connection': 'Upgrade'},
                  timeout=5)  # no key, no version
    assert r.status_code in (400, 426)


def test_a_refused_upgrade_shows_the_real_status(server):
    """No route: 404; the app fails before accepting: 500. Every server here
    offers ASGI's websocket.http.response extension (without it ASGI allows
    only a bare 403)."""
    server, _ = server
    for path, status in (('/nowhere', 404), ('/boom', 500), ('/plain', 403)):
        with pytest.raises(InvalidStatus) as info:
            with connect(server + path, open_timeout=5):
                pass
        assert info.value.response.status_code == status, path
    assert info.value.response.body == b'This URL does not speak WebSocket'
    r = httpx.get(server.replace('ws://', 'http://') + '/plain', timeout=5)
    assert r.json() == {'user': None}  # plain HTTP to it: as before


def test_a_text_frame_that_is_not_utf8(server):
    # docs/websocket.md: closed with 1007 under the mpy-server and uvicorn;
    # hypercorn ends the TCP connection without a close frame.
    import os
    import socket
    import time
    from support import websocket_upgrade
    url, kind = server
    s = websocket_upgrade(int(url.rsplit(':', 1)[1]), '/echo')
    head = b''
    while b'\r\n\r\n' not in head:
        head += s.recv(4096)
    assert head.startswith(b'HTTP/1.1 101'), head
    mask = os.urandom(4)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b'\xc0\xaf'))  # an overlong '/'
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + payload)
    data, deadline = head.partition(b'\r\n\r\n')[2], time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            got = s.recv(4096)
            if not got:
                break
            data += got
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    if kind == 'hypercorn':
        assert data == b'', data
    else:
        assert data[:1] == b'\x88' and int.from_bytes(data[2:4], 'big') == 1007, data


def test_the_mpy_server_calls_the_apps_websocket_hooks_itself(tmp_path):
    """The mpy-server serves a plugdot App's WebSocket through its
    ``plugdot_asgi_scope`` hooks (``App.scope_takers``), not its ASGI call:
    an app without a taker refuses the upgrade (403) and still answers HTTP;
    a taker that is a plain function (sync) works too."""
    (tmp_path / 'nows.py').write_text('''
from plugdot import App
app = App(plugins=[])

@app.get('/ws')
async def ws(request):
    return 'plain'

class SyncTaker:
    """Takes every websocket scope, synchronously, and refuses it: the
    server sends the close before accept as a 403."""
    seen = []

    def plugdot_asgi_scope(self, app, scope, receive, send):
        if scope['type'] != 'websocket':
            return None
        SyncTaker.seen.append(scope['path'])
        return True

sync_app = App(plugins=[])
sync_app.register_plugin(SyncTaker(), 'sync-taker')

@sync_app.get('/seen')
async def seen(request):
    return {'seen': SyncTaker.seen}
''')
    for target, path in (('nows.py:app', '/ws'), ('nows.py:sync_app', '/taken')):
        port = free_port()
        proc = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run',
                                 str(tmp_path / target), '--port', str(port), '--server', 'mpy'],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc)
            with pytest.raises(InvalidStatus) as info:
                with connect('ws://127.0.0.1:%d%s' % (port, path), open_timeout=5):
                    pass
            assert info.value.response.status_code == 403
            if path == '/ws':
                assert httpx.get('http://127.0.0.1:%d/ws' % port, timeout=5).text == 'plain'
            else:
                r = httpx.get('http://127.0.0.1:%d/seen' % port, timeout=5)
                assert r.json() == {'seen': ['/taken']}
        finally:
            proc.terminate()
            proc.wait(10)
