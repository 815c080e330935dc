"""Hostile input the framework itself parses (not the server), under real
ASGI servers on 127.0.0.1: hypercorn, uvicorn and the mpy-server on CPython."""
import subprocess
import sys

import httpx
import pytest
from support import ROOT, free_port, start_server


@pytest.fixture(scope='module', params=['hypercorn', 'uvicorn', 'mpy'])
def json_api(request):
    port = free_port()
    if request.param == 'uvicorn':
        command = ['-m', 'uvicorn', '--app-dir', str(ROOT / 'examples'), 'json_api:app',
                   '--port', str(port), '--log-level', 'warning']
    else:
        command = ['-m', 'plugdot.cli', 'run', 'examples/json_api.py:app', '--port', str(port),
                   '--server', request.param]
    proc = start_server([sys.executable, *command], port)
    yield 'http://127.0.0.1:%d' % port, proc
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert b'RecursionError' not in out and b'Traceback' not in out, out.decode()[-2000:]


def test_deeply_nested_json_is_a_400_with_the_limit(json_api):
    url, proc = json_api
    headers = {'content-type': 'application/json'}
    with httpx.Client(base_url=url, timeout=10) as c:
        fine = b'{"text": "x", "more": ' + b'[' * 63 + b']' * 63 + b'}'  # 64 levels: the default
        assert c.post('/api/notes', content=fine, headers=headers).status_code == 201
        for depth in (65, 1000, 5000):  # 1000 levels: the 2 KB body that was a RecursionError
            body = b'{"text": "x", "more": ' + b'[' * (depth - 1) + b']' * (depth - 1) + b'}'
            r = c.post('/api/notes', content=body, headers=headers)
            assert r.status_code == 400, (depth, r.status_code, r.text[:200])
            assert r.json()['error'] == 'JSON body nested deeper than 64 levels'
        assert c.get('/api/notes').status_code == 200  # still serving
    assert proc.poll() is None
