"""The mpy-server's access log for WebSockets (on CPython here; the board
lane is in test_websocket_board.py): a line for the upgrade (101 open), one
for how it ended (the close code and why), and one for an upgrade refused."""
import os
import socket
import subprocess
import sys
import time

import pytest
from support import ROOT, free_port, stop, wait_for_port, websocket_upgrade
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

SERVER = '''
import sys
from plugdot import App
from plugdot_mpy_server import Limits, serve
from plugdot_websocket import with_websocket

app = App(plugins=['plugdot_websocket'])

@app.route('/echo')
@with_websocket
async def echo(request, ws):
    async for message in ws:
        await ws.send(message)

@app.route('/close')
@with_websocket
async def close(request, ws):
    await ws.close(4000, 'custom')

@app.route('/boom')
@with_websocket
async def boom(request, ws):
    await ws.receive()
    raise RuntimeError('the handler fails once accepted')

serve(app, '127.0.0.1', int(sys.argv[1]), limits=Limits.for_cpython(max_ws_message=1000))
'''


@pytest.fixture
def logged(tmp_path):
    """A URL, and a function that returns the server's output once it stops."""
    script = tmp_path / 'serve_ws.py'
    script.write_text(SERVER)
    port = free_port()
    log = open(tmp_path / 'log.txt', 'w+')
    proc = subprocess.Popen([sys.executable, str(script), str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED='1'))
    wait_for_port(port, proc)

    def lines():
        stop(proc)
        log.seek(0)
        return log.read().splitlines()
    yield 'ws://127.0.0.1:%d' % port, port, lines
    stop(proc)
    log.close()


def masked(opcode, payload, mask=b'\x01\x02\x03\x04'):
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))


def raw_session(port, path, frame):
    """Upgrade on a raw socket, send *frame*, read until the server closes:
    the close code it sent."""
    s = websocket_upgrade(port, path)
    data = b''
    while b'\r\n\r\n' not in data:
        data += s.recv(4096)
    s.sendall(frame)
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            got = s.recv(4096)
            if not got:
                break
            data += got
    except OSError:
        pass
    s.close()
    close = data.partition(b'\r\n\r\n')[2]
    assert close[:1] == b'\x88', data
    return int.from_bytes(close[2:4], 'big')  # the close code the server sent


def test_every_websocket_gets_its_lines(logged):
    url, port, lines = logged
    with connect(url + '/echo', open_timeout=5) as ws:  # a normal close, by the client
        ws.send('hi')
        assert ws.recv(timeout=5) == 'hi'
    with connect(url + '/echo', open_timeout=5, max_size=None) as ws:
        ws.send('z' * 1001)  # past max_ws_message
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    with connect(url + '/close', open_timeout=5) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    with connect(url + '/boom', open_timeout=5) as ws:
        ws.send('go')
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert raw_session(port, '/echo', b'\x81\x02hi') == 1002  # unmasked
    assert raw_session(port, '/echo', masked(1, b'\xc0\xaf')) == 1007  # not UTF-8
    s = websocket_upgrade(port, '/echo')  # the client vanishes without a close frame
    assert s.recv(4096).startswith(b'HTTP/1.1 101')
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    with pytest.raises(InvalidStatus):  # no such route: refused by the app
        with connect(url + '/nowhere', open_timeout=5):
            pass
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:  # no key
        s.sendall(b'GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n'
                  b'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n')
        assert s.recv(4096).startswith(b'HTTP/1.1 400')
    time.sleep(0.5)  # the last close is logged once its session ends
    out = lines()
    expected = [
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 open',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 closed 1000 (by the client)',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 open',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 closed 1009 (message too big)',
        '127.0.0.1 - "GET /close HTTP/1.1" 101 open',
        '127.0.0.1 - "GET /close HTTP/1.1" 101 closed 4000 (by the app)',
        '127.0.0.1 - "GET /boom HTTP/1.1" 101 open',
        # (the plugin closes with 1011 when a handler fails, and logs the error)
        '127.0.0.1 - "GET /boom HTTP/1.1" 101 closed 1011 (by the app)',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 open',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 closed 1002 (client frames must be masked)',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 open',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 closed 1007 (text is not UTF-8)',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 open',
        '127.0.0.1 - "GET /echo HTTP/1.1" 101 closed 1006 (connection lost)',
        '127.0.0.1 - "GET /nowhere HTTP/1.1" 404 (not upgraded)',
        '127.0.0.1 - "GET /echo HTTP/1.1" 400 (bad WebSocket handshake)',
    ]
    assert [line for line in out if line.startswith('127.0.0.1')] == expected, '\n'.join(out)
