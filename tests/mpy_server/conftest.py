"""A plugdot-mpy-server running in a background thread on 127.0.0.1."""
import asyncio
import socket
import threading
import time

import pytest

from plugdot import App, abort
from plugdot_mpy_server import Limits, Server


def demo_app(cls=App):
    app = cls(plugins=[])

    @app.get('/')
    async def index(request):
        return 'Hello, World!'

    @app.route('/echo', methods=['POST', 'PUT'])
    async def echo(request):
        return request.body

    @app.get('/users/<int:id>')
    async def user(request, id):
        return {'id': id}

    @app.get('/stream')
    async def stream(request):
        return iter(['a' * 10, 'b' * 10, 'c' * 10])

    @app.get('/slow')
    async def slow(request):
        await asyncio.sleep(float(request.query.get('s', '0.5')))
        return 'slow done'

    @app.get('/big')
    async def big(request):  # a streamed response far larger than socket buffers
        return iter([b'x' * 65536] * 1024)

    @app.get('/boom')
    async def boom(request):
        raise RuntimeError('app bug')

    @app.get('/empty')
    async def empty(request):
        return None

    @app.get('/abort')
    async def aborted(request):
        abort(418)

    return app


@pytest.fixture
def make_demo_app():
    """:func:`demo_app` for a test that builds its own (a test module cannot
    import ``conftest``: another directory's conftest may hold that name)."""
    return demo_app


class Running:
    """A server on its own event loop in a thread."""

    def __init__(self, app, limits, access_log=False, ssl=None):
        self.loop = asyncio.new_event_loop()
        self.server = Server(app, limits, access_log)
        self.port = None
        self.ssl = ssl
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start('127.0.0.1', 0, ssl))
            self.port = self.server.listener.sockets[0].getsockname()[1]
            started.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)

    @property
    def url(self):
        return '%s://127.0.0.1:%d' % ('https' if self.ssl else 'http', self.port)

    def stop(self, timeout=10):
        if not self.thread.is_alive() or self.server.closing:
            return
        done = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        done.result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)

    def raw(self, data, read_timeout=3, pause=None):
        """Send *data* on a new socket; return everything read until close
        or *read_timeout*."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=read_timeout) as s:
            s.sendall(data)
            chunks = []
            deadline = time.monotonic() + read_timeout
            while time.monotonic() < deadline:
                try:
                    got = s.recv(65536)
                except socket.timeout:
                    break
                if not got:
                    break
                chunks.append(got)
            return b''.join(chunks)


@pytest.fixture
def running():
    """``running(limits=None, app=None, **kw)`` starts a server; all stop at teardown."""
    servers = []

    def start(limits=None, app=None, **kwargs):
        srv = Running(app or demo_app(), limits or Limits.for_cpython(), **kwargs)
        servers.append(srv)
        return srv
    yield start
    for srv in servers:
        try:
            srv.stop()
        except Exception:
            pass


@pytest.fixture
def serve_mpy():
    """``plugdot run --server mpy`` on a free port (CLI integration)."""
    import pathlib
    import subprocess
    import sys
    from support import free_port, wait_for_port
    root = pathlib.Path(__file__).resolve().parents[2]
    port = free_port()
    proc = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run', 'examples/decorator_app.py:app',
                             '--server', 'mpy', '--port', str(port)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    yield 'http://127.0.0.1:%d' % port
    proc.terminate()
    proc.wait(10)
