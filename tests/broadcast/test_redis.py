"""plugdot-broadcast's Redis backends against a real redis-server started by
the tests: two `plugdot run` processes of the dashboard example share one
channel; a message published through either, or by a separate script,
reaches the SSE and WebSocket clients of both; Redis stopped and restarted
mid-stream: the servers keep serving and the subscribers resume."""
import asyncio
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

import httpx
import pytest
from support import ROOT, free_port, wait_for_port
from websockets.sync.client import connect

from plugdot._eventstream import EventParser


class Redis:
    """A redis-server on 127.0.0.1 that the test can stop and restart."""

    def __init__(self, work):
        self.exe = shutil.which('redis-server')
        assert self.exe, 'redis-server is needed (apt-get install redis-server; .ci/run installs it)'
        self.port = free_port()
        self.work = work
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([self.exe, '--port', str(self.port), '--bind', '127.0.0.1',
                                      '--save', '', '--appendonly', 'no', '--dir', str(self.work)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def url(self, scheme):
        return '%s://127.0.0.1:%d/0' % (scheme, self.port)


@pytest.fixture(scope='module')
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp('redis'))
    yield server
    server.stop()


def start_app(url, **settings):
    port = free_port()
    env = dict(os.environ, PLUGDOT_BROADCAST_URL=url, PLUGDOT_BROADCAST_PUBLISH_TIMEOUT='0.5',
               PLUGDOT_SSE_PING_INTERVAL='0.5')
    env.update(('PLUGDOT_' + k.upper(), str(v)) for k, v in settings.items())
    proc = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run',
                             'examples/dashboard_app.py:app', '--port', str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    return proc, 'http://127.0.0.1:%d' % port


class SSEReader(threading.Thread):
    """Reads the dashboard's event stream into a queue, until stopped."""

    def __init__(self, url, last_id=None):
        threading.Thread.__init__(self, daemon=True)
        self.url, self.last_id = url, last_id
        self.events, self.opened, self.stop = queue.Queue(), threading.Event(), False
        self.start()
        assert self.opened.wait(5)

    def run(self):
        headers = {'Last-Event-ID': self.last_id} if self.last_id else {}
        parser = EventParser()
        with httpx.stream('GET', self.url + '/events', headers=headers, timeout=30) as r:
            self.opened.set()
            for piece in r.iter_raw():
                for event in parser.feed(piece.decode()):
                    self.events.put(event)
                if self.stop:
                    return

    def take(self, n, timeout=5):
        got = []
        for _ in range(n):
            got.append(self.events.get(timeout=timeout))
        return got


class WSReader(threading.Thread):
    def __init__(self, url):
        threading.Thread.__init__(self, daemon=True)
        self.url = url.replace('http://', 'ws://') + '/ws'
        self.messages, self.ready = queue.Queue(), threading.Event()
        self.start()
        assert self.ready.wait(5)

    def run(self):
        try:
            with connect(self.url, open_timeout=5) as ws:
                self.ws = ws
                self.ready.set()
                while True:
                    self.messages.put(ws.recv())
        except Exception:
            pass

    def take(self, n, timeout=5):
        return [self.messages.get(timeout=timeout) for _ in range(n)]


def stop(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:  # a server that waits for open streams
        proc.kill()
        proc.wait(5)


def publish(base, sensor, value):
    r = httpx.post(base + '/readings', json={'sensor': sensor, 'value': value}, timeout=10)
    return r


def warm_up(base, readers):
    """Publish until every reader has a message (each process has
    subscribed), then drop what the warm-up left in their queues."""
    boxes = [r.events if isinstance(r, SSEReader) else r.messages for r in readers]
    waiting = set(range(len(boxes)))
    deadline = time.monotonic() + 15
    while waiting:
        assert time.monotonic() < deadline, 'some subscribers never received anything'
        publish(base, 'warm-up', 0)
        time.sleep(0.2)
        waiting = set(i for i in waiting if boxes[i].empty())
    time.sleep(0.5)
    for box in boxes:
        while not box.empty():
            box.get()


@pytest.mark.parametrize('scheme', ['redis-stream', 'redis'])
def test_two_processes_a_script_and_a_redis_restart(redis, scheme):
    url = redis.url(scheme)
    a, base_a = start_app(url)
    b, base_b = start_app(url)
    readers = []
    try:
        sse = [SSEReader(base_a), SSEReader(base_b)]
        ws = [WSReader(base_a), WSReader(base_b)]
        readers = sse
        warm_up(base_a, sse + ws)
        assert publish(base_a, 'from-a', 1).status_code == 200
        assert publish(base_b, 'from-b', 2).status_code == 200
        script = subprocess.run([sys.executable, '-m', 'plugdot_broadcast', url, 'readings',
                                 '{"sensor": "script", "value": 3}'], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)
        assert script.returncode == 0, script.stderr
        expected = [('from-a', 1), ('from-b', 2), ('script', 3)]
        for reader in sse:
            events = reader.take(3)
            assert [(e.json()['sensor'], e.json()['value']) for e in events] == expected
            assert all(e.event == 'reading' for e in events)
            if scheme == 'redis-stream':
                assert all(e.id and '-' in e.id for e in events)
        for reader in ws:
            got = [__import__('json').loads(m) for m in reader.take(3)]
            assert [(m['sensor'], m['value']) for m in got] == expected

        redis.stop()  # the broker goes away mid-stream
        for base in (base_a, base_b):
            assert httpx.get(base + '/', timeout=5).status_code == 200  # still serving
        r = publish(base_a, 'lost', 0)
        assert r.status_code == 503 and 'retry-after' in r.headers and 'Traceback' not in r.text
        redis.start()
        deadline = time.monotonic() + 10
        while publish(base_b, 'back', 4).status_code != 200:
            assert time.monotonic() < deadline, 'publishing never recovered'
            time.sleep(0.2)
        # The listeners reconnect (backoff up to 2 s); a pub/sub message sent
        # before that is lost, so publish until every client has one.
        deadline = time.monotonic() + 10
        pending = list(sse) + list(ws)
        n = 5
        while pending:
            assert time.monotonic() < deadline, 'subscribers did not resume'
            assert publish(base_a, 'after', n).status_code == 200
            n += 1
            time.sleep(0.3)
            for reader in list(pending):
                box = reader.events if reader in sse else reader.messages
                while not box.empty():
                    item = box.get()
                    data = item.json() if reader in sse else __import__('json').loads(item)
                    if data['sensor'] == 'after':
                        pending.remove(reader)
                        break
        for proc in (a, b):
            assert proc.poll() is None
        for reader in ws:
            reader.ws.close()
    finally:
        for reader in readers:
            reader.stop = True
        for proc in (a, b):
            stop(proc)
        out = (a.stdout.read() + b.stdout.read()).decode()
        assert 'Traceback' not in out, out[-3000:]


def test_stream_resume_across_processes(redis):
    """A client of one process reconnects to the other with its last id
    and gets exactly the missed messages from the Redis Stream."""
    url = redis.url('redis-stream')
    a, base_a = start_app(url, broadcast_history=5)
    b, base_b = start_app(url, broadcast_history=5)
    try:
        first = SSEReader(base_a)
        warm_up(base_a, [first])
        publish(base_a, 's', 1)
        last = first.take(1)[0]
        first.stop = True
        for value in (2, 3, 4):
            publish(base_b, 's', value)
        second = SSEReader(base_b, last_id=last.id)
        got = second.take(3)
        assert [e.json()['value'] for e in got] == [2, 3, 4]
        second.stop = True
        for value in range(5, 12):  # the history keeps 5: 2..6 are trimmed away
            publish(base_a, 's', value)
        resync = SSEReader(base_b, last_id=last.id)
        assert [e.event for e in resync.take(1)] == ['resync']
        resync.stop = True
    finally:
        for proc in (a, b):
            stop(proc)


def test_subscriber_survives_a_broker_restart_in_process(redis):
    """The library alone: a subscriber never sees an exception while Redis
    is away, and gets what is published after it returns."""
    from plugdot_broadcast import Broadcast

    async def scenario():
        b = Broadcast(redis.url('redis-stream'), publish_timeout=0.3)
        try:
            async with b.subscribe('solo') as sub:
                await b.publish('solo', 'one')
                first = (await asyncio.wait_for(sub.__anext__(), 5)).data
                await asyncio.get_running_loop().run_in_executor(None, redis.stop)
                await asyncio.sleep(0.5)
                await asyncio.get_running_loop().run_in_executor(None, redis.start)
                deadline = time.monotonic() + 10
                while True:
                    try:
                        await b.publish('solo', 'two')
                        break
                    except Exception:
                        assert time.monotonic() < deadline
                        await asyncio.sleep(0.2)
                second = (await asyncio.wait_for(sub.__anext__(), 10)).data
                return first, second, b.backend.reconnects
        finally:
            await b.close()
    first, second, reconnects = asyncio.run(scenario())
    assert (first, second) == ('one', 'two') and reconnects >= 1


@pytest.mark.parametrize('scheme', ['redis', 'redis-stream'])
def test_json_by_default_bytes_as_they_are(redis, scheme):
    from plugdot_broadcast import Broadcast

    async def scenario():
        b = Broadcast(redis.url(scheme))
        try:
            async with b.subscribe('kinds', 'other') as sub:
                sent = [{'a': [1, 'é']}, 'text', 42, None, b'\x00\xffraw']
                for value in sent:
                    await b.publish('kinds', value)
                await b.publish('other', 'o')
                got = [await asyncio.wait_for(sub.__anext__(), 5) for _ in range(6)]
            return sent, got, b.subscribers('kinds')
        finally:
            await b.close()
    sent, got, left = asyncio.run(scenario())
    assert [m.data for m in got if m.channel == 'kinds'] == sent
    assert [m.data for m in got if m.channel == 'other'] == ['o'] and left == 0
    assert all((m.id is None) == (scheme == 'redis') for m in got)
