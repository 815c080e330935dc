"""Streamed responses and request bodies under real servers on 127.0.0.1:
a stream stops (its ``finally`` runs) soon after its client leaves, under
hypercorn, uvicorn and the mpy-server on CPython and under MicroPython; a
body sent without Content-Length is never lost (chunked, and HTTP/2)."""
import os
import sys
import time

import httpx
import pytest
from support import ROOT, free_port, micropython, start_server, stop

APP = '''
import asyncio, os, sys, time
from plugdot import App

app = App(plugins=[])
MARK = os.getenv('STREAM_MARK')


def mark(text):
    if MARK:
        with open(MARK, 'a') as f:
            f.write(text + '\\n')
    else:
        print(text)


class Frames:
    """An endless async stream (MicroPython has no async generators)."""

    def __init__(self):
        self.n = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n:
            await asyncio.sleep(0.05)
        self.n += 1
        return 'frame %d\\n' % self.n

    async def aclose(self):
        mark('closed after %d' % self.n)


@app.get('/feed')
async def feed(request):
    return Frames()


@app.get('/syncfeed')
def syncfeed(request):
    def frames():
        n = 0
        try:
            while True:
                n += 1
                yield 'frame %d\\n' % n
                time.sleep(0.05)  # blocking: runs in a worker thread on CPython
        finally:
            mark('closed after %d' % n)
    return frames()


@app.post('/echo')
async def echo(request):
    return {'got': len(request.body), 'start': request.body[:10].decode()}
'''

MPY_MAIN = '''
import sys
root = sys.argv[1]
for pkg in ('core', 'mpy-server'):
    sys.path.insert(0, root + '/packages/%s/src' % pkg)
sys.path.insert(0, sys.argv[2])
from streamapp import app
from plugdot_mpy_server import serve
serve(app, '127.0.0.1', int(sys.argv[3]), access_log=False)
'''


@pytest.fixture(params=['hypercorn', 'uvicorn', 'mpy', 'micropython'])
def stream_server(request, tmp_path):
    (tmp_path / 'streamapp.py').write_text(APP)
    mark = tmp_path / 'mark.txt'
    port = free_port()
    env = dict(os.environ, STREAM_MARK=str(mark))
    if request.param == 'uvicorn':
        command = [sys.executable, '-m', 'uvicorn', '--app-dir', str(tmp_path), 'streamapp:app',
                   '--port', str(port), '--log-level', 'warning']
    elif request.param == 'micropython':
        (tmp_path / 'main.py').write_text(MPY_MAIN)
        env.pop('STREAM_MARK')
        command = [micropython(), '-X', 'heapsize=1m', str(tmp_path / 'main.py'), str(ROOT),
                   str(tmp_path), str(port)]
    else:
        command = [sys.executable, '-m', 'plugdot.cli', 'run', str(tmp_path / 'streamapp.py') +
                   ':app', '--port', str(port), '--server', request.param]
    proc = start_server(command, port, env=env)
    try:
        yield 'http://127.0.0.1:%d' % port, request.param, proc, mark
    finally:
        stop(proc)


def _closed(mark):
    return mark.exists() and 'closed after' in mark.read_text()


@pytest.mark.parametrize('path', ['/feed', '/syncfeed'])
def test_a_stream_stops_soon_after_its_client_leaves(stream_server, path):
    url, kind, proc, mark = stream_server
    with httpx.Client(timeout=5) as client:
        with client.stream('GET', url + path) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines) == 'frame 1'
            assert next(lines) == 'frame 2'
        left = time.monotonic()
    if kind == 'micropython':
        time.sleep(1.0)
        proc.terminate()  # MicroPython prints the mark: read it once the server is gone
        out = proc.communicate(timeout=10)[0].decode()
        assert 'closed after' in out, 'the stream never ran its finally: %s' % out
        assert 'Traceback' not in out  # a client leaving is not an error
        return
    while not _closed(mark) and time.monotonic() - left < 1.5:
        time.sleep(0.05)
    assert _closed(mark), 'the stream was still running 1.5 s after its client left'
    frames = int(mark.read_text().split()[-1])
    time.sleep(0.3)  # and it stays stopped: no frame more after the mark
    assert int(mark.read_text().split()[-1]) == frames


def test_a_body_without_content_length_is_read(stream_server):
    url, kind, proc, mark = stream_server

    def chunks():
        yield b'hello '
        yield b'x' * 5000
    with httpx.Client(timeout=5) as client:
        r = client.post(url + '/echo', content=chunks())  # chunked, no Content-Length
    assert r.status_code == 200
    assert r.json() == {'got': 5006, 'start': 'hello xxxx'}


def test_an_http2_body_without_content_length_is_read(tmp_path):
    (tmp_path / 'streamapp.py').write_text(APP)
    port = free_port()
    proc = start_server([sys.executable, '-m', 'hypercorn', '--bind', '127.0.0.1:%d' % port,
                         '--root-path', '', 'streamapp:app'], port, cwd=tmp_path)
    try:
        def chunks():
            yield b'hello '
            yield b'y' * 100
        with httpx.Client(http1=False, http2=True, timeout=5) as client:
            r = client.post('http://127.0.0.1:%d/echo' % port, content=chunks())
        assert r.http_version == 'HTTP/2'
        assert r.json() == {'got': 106, 'start': 'hello yyyy'}
    finally:
        stop(proc)
