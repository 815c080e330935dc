"""The live-dashboard example in headless Chromium: the page's EventSource
receives readings, loses its connection when the test drops it (a TCP
proxy between browser and server cuts both sides), reconnects by itself
with Last-Event-ID and gets exactly the readings it missed."""
import socket
import sys
import threading
import time

import httpx
from browser import Browser
from support import free_port, start_server, stop


class Proxy:
    """A TCP proxy on 127.0.0.1 the test can cut (``drop()``) and hold
    (new connections wait while ``paused``). It records what clients send."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.sockets, self.sent = [], []
        self.open = threading.Event()
        self.open.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        self.open.wait(10)
        upstream = socket.create_connection(('127.0.0.1', self.upstream))
        self.sockets += [client, upstream]
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()
        self._pipe(client, upstream, True)

    def _pipe(self, source, target, record):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if record:
                    self.sent.append(data)
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self):
        """Cut every connection (both sides) and hold new ones."""
        self.open.clear()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []

    def close(self):
        self.listener.close()
        self.drop()


def test_event_source_reconnects_with_last_event_id_and_gets_exactly_the_missed_events():
    port = free_port()
    app = start_server([sys.executable, '-m', 'plugdot.cli', 'run', 'examples/dashboard_app.py:app',
                        '--port', str(port), '--server', 'hypercorn'], port)
    proxy = None
    base = 'http://127.0.0.1:%d' % port

    def publish(value):
        r = httpx.post(base + '/readings', json={'sensor': 's', 'value': value}, timeout=5)
        assert r.status_code == 200, r.text

    try:
        proxy = Proxy(port)
        with Browser() as tools:
            def received(count, timeout=10):
                deadline = time.monotonic() + timeout
                got = []
                while time.monotonic() < deadline:
                    got = tools.evaluate('window.received || []') or []
                    if len(got) >= count:
                        break
                    time.sleep(0.05)
                return got

            def status():
                return tools.evaluate("document.getElementById('status').textContent")

            tools.call('Page.navigate', url='http://127.0.0.1:%d/' % proxy.port)
            deadline = time.monotonic() + 10
            while status() != 'live':
                assert time.monotonic() < deadline, 'the EventSource never opened'
                time.sleep(0.05)
            publish(1)
            publish(2)
            before = received(2)
            assert [value['value'] for _, value in before] == [1, 2]

            proxy.drop()  # the connection is lost; the page will retry after 1 s
            deadline = time.monotonic() + 5
            while status() != 'reconnecting':
                assert time.monotonic() < deadline, 'the page did not notice the drop'
                time.sleep(0.05)
            for value in (3, 4, 5):  # published while the page is away
                publish(value)
            proxy.open.set()
            after = received(5)
            publish(6)
            final = received(6)
        assert [value['value'] for _, value in final] == [1, 2, 3, 4, 5, 6], final
        assert len(set(ident for ident, _ in final)) == 6  # each once, each with its id
        reconnect = b''.join(proxy.sent).split(b'GET /events')[-1]
        assert (b'last-event-id: ' + before[-1][0].encode()) in reconnect.lower(), reconnect
        assert after[:5] == final[:5]
    finally:
        if proxy is not None:
            proxy.close()
        stop(app, 5)
