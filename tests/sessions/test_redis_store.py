"""The Redis store against a real redis-server on 127.0.0.1, started and
stopped by the tests; two app processes share one session."""
import os
import shutil
import subprocess
import sys
import time

import httpx
import jwt
import pytest
from support import ROOT, free_port, wait_for_port

KEY = 'redis-test-secret-0123456789abcdef'


@pytest.fixture(scope='module')
def redis_url(tmp_path_factory):
    exe = shutil.which('redis-server')
    assert exe, 'redis-server is needed (Debian: apt-get install redis-server; .ci/run installs it)'
    port = free_port()
    work = tmp_path_factory.mktemp('redis')
    proc = subprocess.Popen([exe, '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                             '--appendonly', 'no', '--dir', str(work)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    yield 'redis://127.0.0.1:%d/0' % port
    proc.terminate()
    proc.wait(10)


def start_app(url):
    port = free_port()
    env = dict(os.environ, PLUGDOT_SESSION_BACKEND=url, PLUGDOT_SECRET_KEY=KEY)
    proc = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run', 'examples/sessions_app.py:app',
                             '--port', str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    return proc, 'http://127.0.0.1:%d' % port


def test_two_processes_share_one_session(redis_url):
    a, url_a = start_app(redis_url)
    b, url_b = start_app(redis_url)
    try:
        with httpx.Client(timeout=10) as client:
            assert client.get(url_a + '/').json() == {'visits': 1}
            assert client.get(url_b + '/').json() == {'visits': 2}  # same cookie, other process
            assert client.get(url_a + '/').json() == {'visits': 3}
            claims = jwt.decode(client.cookies['session'], KEY, algorithms=['HS256'])
            assert set(claims) == {'sid', 'exp'}  # the cookie holds only a signed id
            client.post(url_b + '/login', data={'user': 'ann'})
            assert client.get(url_a + '/whoami').json()['user'] == 'ann'
            new_claims = jwt.decode(client.cookies['session'], KEY, algorithms=['HS256'])
            assert new_claims['sid'] != claims['sid']  # regenerated at login
    finally:
        for proc in (a, b):
            proc.terminate()
            proc.wait(10)


def test_store_direct_and_expiry(redis_url):
    import asyncio

    from plugdot_sessions.redis import RedisBackend

    async def run():
        store = RedisBackend(redis_url, prefix='test:')
        await store.save('s1', {'a': [1, 2]}, 1)
        first = await store.load('s1')
        await store.save('s2', {'b': 1}, 60)
        await store.delete('s2')
        deleted = await store.load('s2')
        await asyncio.sleep(1.2)
        expired = await store.load('s1')
        await store.client.aclose()
        return first, deleted, expired
    assert asyncio.run(run()) == ({'a': [1, 2]}, None, None)


def test_store_down_is_503_not_500():
    from plugdot import App
    from plugdot.testing import TestClient
    port = free_port()  # nothing listens there
    app = App(config={'secret_key': KEY, 'session_backend': 'redis://127.0.0.1:%d/0' % port,
                      'session_backend_timeout': 1.0})

    @app.get('/')
    async def index(request):
        request.session['x'] = 1
        return 'x'
    t0 = time.monotonic()
    r = TestClient(app).get('/')
    assert r.status_code == 503 and 'Session store unavailable' in r.text
    assert time.monotonic() - t0 < 5
