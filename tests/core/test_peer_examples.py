"""The peers' kinds of apps, ported (examples/microdot_port.py and
examples/micropie_port.py), served by hypercorn and uvicorn on 127.0.0.1
and driven with httpx as their users would."""
import sys

import httpx
import pytest
from support import free_port, start_server, stop


@pytest.fixture(params=['hypercorn', 'uvicorn'])
def serve(request):
    procs = []

    def start(module):
        port = free_port()
        if request.param == 'uvicorn':
            command = ['-m', 'uvicorn', '--app-dir', 'examples', module + ':app', '--port',
                       str(port), '--log-level', 'warning']
        else:
            command = ['-m', 'plugdot.cli', 'run', 'examples/%s.py:app' % module, '--port',
                       str(port)]
        procs.append(start_server([sys.executable, *command], port))
        return 'http://127.0.0.1:%d' % port
    yield start
    for proc in procs:
        stop(proc)


def test_microdot_style_app(serve):
    base = serve('microdot_port')
    with httpx.Client(base_url=base, timeout=5) as c:
        r = c.get('/')
        assert r.headers.get_list('content-type') == ['text/html; charset=utf-8']
        assert c.get('/users/7').json() == {'id': 7, 'name': 'user7'}
        assert c.get('/users/700').json() == {'error': 'not found', 'path': '/users/700'}
        assert c.get('/nowhere').status_code == 404
        r = c.post('/accepted')
        assert (r.status_code, r.content, r.headers['x-queue']) == (202, b'', 'jobs')
        assert c.get('/teapot').status_code == 418
        assert c.get('/csv').headers.get_list('content-type') == ['text/csv']
        assert c.get('/admin').status_code == 403
        r = c.get('/login', params={'name': 'admin'})
        assert r.status_code == 302 and c.cookies['user'] == 'admin'
        assert c.get('/admin').text == 'Welcome, admin'
        r = c.get('/crash')
        assert (r.status_code, r.json()) == (500, {'error': 'internal', 'kind': 'ValueError'})
        r = c.get('/api/status')
        assert r.json() == {'ok': True} and r.headers['cache-control'] == 'no-store'
        with c.stream('GET', '/ticks') as r:
            lines = r.iter_lines()
            assert [next(lines) for _ in range(3)] == ['tick 1', 'tick 2', 'tick 3']


def test_micropie_style_app(serve):
    base = serve('micropie_port')
    with httpx.Client(base_url=base, timeout=5) as c:
        assert c.get('/').text == 'Welcome to the shop'
        assert c.get('/index').text == 'Welcome to the shop'
        assert c.get('/greet/Ann').text == 'Hello, Ann'
        assert c.get('/greet', params={'name': 'Bob'}).text == 'Hello, Bob'
        assert c.get('/add/2/3').json() == {'a': 2, 'b': 3, 'sum': 5}
        assert c.get('/add/2/x').status_code == 400
        assert c.post('/add', json={'a': 2, 'b': 'x'}).status_code == 400
        assert c.get('/_private').status_code == 404
        assert c.get('/order').status_code == 405
        r = c.post('/order', json={'item': 'tea', 'quantity': 2, 'gift': 'false'})
        assert r.status_code == 201 and r.headers['location'] == '/orders/1'
        assert "'gift': False" in r.text and "'quantity': 2" in r.text
        assert r.headers.get_list('set-cookie') == ['last=tea', 'count=2']
        c.cookies.set('csrf', 'abc')
        assert c.post('/order', data={'item': 'tea', 'csrf': 'wrong'}).status_code == 403
        assert c.post('/order', data={'item': 'tea', 'csrf': 'abc'}).status_code == 201
        r = c.get('/go', follow_redirects=True)
        assert r.text == 'Hello, Redirected'
        assert c.get('/whoami').json() == {'ip': '127.0.0.1'}
