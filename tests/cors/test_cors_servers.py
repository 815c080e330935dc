"""plugdot-cors over real servers (uvicorn, hypercorn, the mpy-server) with
httpx: the preflight and header corpus, bytes no browser would send, and
WebSocket handshakes checked against the allow-list."""
import socket
import subprocess
import sys

import httpx
import pytest
from support import ROOT, free_port, wait_for_port
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

SITE = 'https://app.example.com'
APP = '''
import sys
from plugdot import App, abort
from plugdot_cors import cors
from plugdot_websocket import with_websocket

app = App(config={'cors_allowed_origins': ['%s', 'https://*.example.org'],
                  'cors_allow_credentials': True, 'cors_allowed_headers': ['X-Token'],
                  'cors_expose_headers': ['X-Total']},
          plugins=['plugdot_cors', 'plugdot_websocket'])

@app.route('/items', methods=['GET', 'PUT'])
async def items(request):
    return {'items': []}, 200, {'X-Total': '0'}

@app.get('/fail')
async def fail(request):
    abort(409, 'conflict')

@app.route('/ws')
@with_websocket
async def ws(request, ws):
    await ws.send('hello')

kind, port = sys.argv[1], int(sys.argv[2])
if kind == 'uvicorn':
    import uvicorn
    uvicorn.run(app, host='127.0.0.1', port=port, log_level='warning')
elif kind == 'hypercorn':
    from plugdot.serve import serve
    serve(app, '127.0.0.1', port, 'hypercorn')
else:
    from plugdot_mpy_server import serve
    serve(app, '127.0.0.1', port, access_log=False)
''' % SITE


@pytest.fixture(scope='module', params=['uvicorn', 'hypercorn', 'mpy'])
def server(request, tmp_path_factory):
    script = tmp_path_factory.mktemp('cors') / 'cors_app.py'
    script.write_text(APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), request.param, str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    yield request.param, port
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def preflight(url, origin=SITE, method='PUT', headers=None):
    h = {'Origin': origin, 'Access-Control-Request-Method': method}
    if headers is not None:
        h['Access-Control-Request-Headers'] = headers
    return httpx.options(url, headers=h, timeout=5)


def test_preflight_corpus(server):
    _, port = server
    url = 'http://127.0.0.1:%d/items' % port
    r = preflight(url, headers='X-Token, Content-Type')
    assert r.status_code == 204
    assert r.headers['access-control-allow-origin'] == SITE
    assert r.headers['access-control-allow-credentials'] == 'true'
    assert r.headers['access-control-allow-headers'] == 'x-token, content-type'
    assert r.headers['access-control-max-age'] == '600'
    assert 'Access-Control-Request-Headers' in r.headers['vary']
    for origin, method, headers, reason in (
            ('https://evil.example', 'PUT', None, 'origin not allowed'),
            (SITE, 'TRACE', None, 'method TRACE not allowed'),
            (SITE, 'PUT', 'X-Other', 'header x-other not allowed'),
            (SITE, 'P(T', None, 'malformed'),
            (SITE, 'PUT', 'a b', 'malformed'),
            ('https://a.b.example.org', 'GET', None, 'origin not allowed')):
        r = preflight(url, origin, method, headers)
        assert r.status_code == 400 and reason in r.text, (origin, method, headers, r.text)
        assert 'access-control-allow-origin' not in r.headers
    r = preflight('http://127.0.0.1:%d/nowhere' % port, 'https://shop.example.org')
    assert r.status_code == 204


def test_actual_responses_and_errors_carry_the_grant(server):
    _, port = server
    base = 'http://127.0.0.1:%d' % port
    r = httpx.get(base + '/items', headers={'Origin': SITE}, timeout=5)
    assert r.headers['access-control-allow-origin'] == SITE
    assert r.headers['access-control-expose-headers'] == 'X-Total'
    assert r.headers['vary'] == 'Origin'
    for path, method, status in (('/fail', 'GET', 409), ('/nope', 'GET', 404),
                                 ('/items', 'DELETE', 405)):
        r = httpx.request(method, base + path, headers={'Origin': SITE}, timeout=5)
        assert r.status_code == status
        assert r.headers['access-control-allow-origin'] == SITE
    r = httpx.get(base + '/items', headers={'Origin': 'https://evil.example'}, timeout=5)
    assert r.status_code == 200 and 'access-control-allow-origin' not in r.headers


def test_bytes_no_browser_sends_are_never_a_500(server):
    _, port = server
    for origin in (b'\xff\xfe', b'https://app.example.com\xc3', b'null\x01'.replace(b'\x01', b''),
                   b'*', b'https://' + b'a' * 3000):
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            s.sendall(b'OPTIONS /items HTTP/1.1\r\nHost: x\r\nOrigin: ' + origin +
                      b'\r\nAccess-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n')
            out = b''
            while True:
                got = s.recv(4096)
                if not got:
                    break
                out += got
        status = int(out.split(b' ', 2)[1])
        assert status in (204, 400), (origin, out[:200])
        assert b'access-control-allow-origin: ' + origin not in out.lower()


def test_websocket_handshake_checks_the_origin(server):
    _, port = server
    url = 'ws://127.0.0.1:%d/ws' % port
    with connect(url, origin=SITE, open_timeout=5) as ws:
        assert ws.recv(timeout=5) == 'hello'
    with connect(url, open_timeout=5) as ws:  # no Origin: not a browser
        assert ws.recv(timeout=5) == 'hello'
    with connect(url, origin='http://127.0.0.1:%d' % port, open_timeout=5) as ws:  # its own page
        assert ws.recv(timeout=5) == 'hello'
    with pytest.raises(InvalidStatus) as refused:
        with connect(url, origin='https://evil.example', open_timeout=5):
            pass
    assert refused.value.response.status_code == 403
