"""Headless Chromium (Debian's chromium) driven over the DevTools protocol,
for the tests that need a real browser (WebSocket, CORS, static assets)."""
import json
import shutil
import subprocess
import tempfile

import httpx
from support import free_port, wait_for_port
from websockets.sync.client import connect

CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']


def chromium():
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    assert exe, 'Debian chromium is needed (apt-get install chromium; .ci/run installs it)'
    return exe


class DevTools:
    """A minimal DevTools-protocol client for one page."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({'id': self.next_id, 'method': method, 'params': params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=10))
            if reply.get('id') == self.next_id:
                return reply.get('result', {})

    def evaluate(self, expression, await_promise=False):
        return self.call('Runtime.evaluate', expression=expression, returnByValue=True,
                         awaitPromise=await_promise)['result'].get('value')


class Browser:
    """``with Browser() as tools:`` a headless Chromium with one page, and the
    DevTools client of that page; the browser is stopped afterwards."""

    def __enter__(self):
        self.profile = tempfile.mkdtemp()
        port = free_port()
        self.proc = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, '--user-data-dir=' + self.profile,
                                      '--remote-debugging-port=%d' % port, 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, self.proc, timeout=30)
            pages = [t for t in httpx.get('http://127.0.0.1:%d/json/list' % port, timeout=10).json()
                     if t['type'] == 'page']
            self.conn = connect(pages[0]['webSocketDebuggerUrl'], open_timeout=10, max_size=None)
            self.ws = self.conn.__enter__()
        except Exception:
            self._stop()
            raise
        return DevTools(self.ws)

    def __exit__(self, *exc_info):
        self.conn.__exit__(None, None, None)
        self._stop()

    def _stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)
