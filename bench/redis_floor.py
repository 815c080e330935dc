"""Can a session store that waits for Redis beat plugdot's cookie store?
Side by side in one run, in-process (as bench/inprocess.py: no HTTP server),
with a ``redis-server`` the run starts on 127.0.0.1 and stops at its end:

* plugdot's session request (``GET /count``: read and write a counter in
  the session, the client sending back its cookie) with the **cookie**
  store, the **memory** store, the **Redis** store (redis-py, with its
  pure-Python parser and, if installed, with ``hiredis``), and a minimal
  store speaking RESP over a raw asyncio Protocol (:class:`RespBackend`:
  no client library; what a store inside plugdot can cost at best);
* the bare floor, no plugdot: the GET and the SET of one session request
  (same key and value sizes as plugdot's store) over that raw Protocol, the
  GET alone (a store that would not wait for the SET's reply), the GET +
  SET run after a memory-store request (the sum of the two, but the Redis
  round trips no longer come back to back: this costs more than the two
  rows added, see bench/README.md), and the same GET + SET through redis-py
  with each parser.

Each row is timed with two clocks at once: this process's CPU time (what a
busy server pays per request: redis-server runs on another core) and wall
time (what one request waits: the two round trips included). Rows take
turns within each round, in reverse order every other round; printed: the
best of the rounds per row and its ratio to the cookie store, then the
min / median / max over the rounds of each round's ratio.

Usage: python bench/redis_floor.py [--seconds 0.3] [--rounds 7]
       (or hatch run bench:redis-floor)
Needs redis-server on PATH (Debian: apt-get install redis-server)."""
import argparse
import asyncio
import sys
import time

import apps
import inprocess

KEY = b'plugdot:session:' + b'0' * 32  # a sid is 32 hex digits
VALUE = b'{"n": 1}'
EXPIRES = b'1209600'  # the default session lifetime, 14 days, as the store sets it


class RESP(asyncio.Protocol):
    """The smallest RESP client: commands are sent as arrays of bulk
    strings, replies matched to them in order (simple strings, errors,
    integers, bulk strings; no arrays, which GET and SET never return)."""

    def __init__(self):
        self.transport = None
        self.buffer = b''
        self.waiting = []  # futures of the commands sent, oldest first

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        for future in self.waiting:
            if not future.done():
                future.set_exception(ConnectionError('redis closed the connection'))

    def data_received(self, data):
        buffer = self.buffer + data if self.buffer else data
        while self.waiting:
            end = buffer.find(b'\r\n')
            if end < 0:
                break
            kind = buffer[0]
            if kind == 36:  # '$' bulk string
                n = int(buffer[1:end])
                if n < 0:
                    reply, used = None, end + 2
                elif len(buffer) < end + 4 + n:
                    break
                else:
                    reply, used = buffer[end + 2:end + 2 + n], end + 4 + n
            elif kind == 45:  # '-' error
                reply, used = RuntimeError(buffer[1:end].decode()), end + 2
            elif kind == 58:  # ':' integer
                reply, used = int(buffer[1:end]), end + 2
            else:  # '+' simple string
                reply, used = buffer[1:end], end + 2
            buffer = buffer[used:]
            future = self.waiting.pop(0)
            if not future.done():
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        self.buffer = buffer

    def command(self, *args):
        """Send one command; return the future of its reply."""
        out = [b'*%d\r\n' % len(args)]
        for arg in args:
            out.append(b'$%d\r\n%s\r\n' % (len(arg), arg))
        self.transport.write(b''.join(out))
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        return future


async def connect(url):
    """A connected :class:`RESP` for a ``redis://host:port/0`` URL."""
    host, port = url.split('//')[1].split('/')[0].split(':')
    _, protocol = await asyncio.get_running_loop().create_connection(RESP, host, int(port))
    return protocol


def resp_backend(url):
    """A plugdot session store over :class:`RESP` (JSON values, Redis
    expiry, as plugdot-sessions' RedisBackend)."""
    import json

    from plugdot_sessions.backends import SessionBackend

    class RespBackend(SessionBackend):
        """Sessions in Redis through one raw RESP connection."""

        def __init__(self):
            self.protocol = None

        async def _connection(self):
            if self.protocol is None:
                self.protocol = await connect(url)
            return self.protocol

        async def load(self, sid):
            raw = await (await self._connection()).command(
                b'GET', b'plugdot:session:' + sid.encode())
            return None if raw is None else json.loads(raw)

        async def save(self, sid, data, timeout):
            await (await self._connection()).command(
                b'SET', b'plugdot:session:' + sid.encode(), json.dumps(data).encode(),
                b'EX', b'%d' % max(1, int(timeout)))

        async def delete(self, sid):
            await (await self._connection()).command(b'DEL', b'plugdot:session:' + sid.encode())
    return RespBackend()


def parsers():
    """redis-py's parsers to measure: name -> class (hiredis if it imports)."""
    from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser
    from redis.utils import HIREDIS_AVAILABLE
    found = {'redis-py': _AsyncRESP2Parser}
    if HIREDIS_AVAILABLE:
        found['redis-py + hiredis'] = _AsyncHiredisParser
    else:
        print('hiredis is not installed: redis-py with its Python parser only', file=sys.stderr)
    return found


def redis_client(url, parser):
    from redis import asyncio as aioredis
    return aioredis.from_url(url, parser_class=parser)


async def plugdot_row(backend):
    """A zero-argument coroutine function running one session request of
    plugdot with *backend* (True: the cookie store), checked once first."""
    factory = apps.plugdot if backend is True else (lambda **kw: apps.plugdot(0, backend))
    ready = await inprocess.prepare('plugdot', factory, 'session')
    app, headers = ready
    template = inprocess.make_scope('/count', 'GET', headers)
    message = {'type': 'http.request', 'body': b'', 'more_body': False}
    Exchange = inprocess.Exchange

    async def one():
        ex = Exchange(dict(message))
        await app(dict(template), ex.receive, ex.send)
    return one


async def raw_rows(url, memory):
    """The bare floor over one raw RESP connection; *memory*: a memory-store
    request of plugdot, run before the GET + SET in the last row."""
    protocol = await connect(url)
    command = protocol.command
    assert await command(b'SET', KEY, VALUE, b'EX', EXPIRES) == b'OK'
    assert await command(b'GET', KEY) == VALUE

    async def get_set():
        await command(b'GET', KEY)
        await command(b'SET', KEY, VALUE, b'EX', EXPIRES)

    async def get_only():
        await command(b'GET', KEY)
        command(b'SET', KEY, VALUE, b'EX', EXPIRES)  # its reply is read before the next GET's

    async def memory_get_set():
        await memory()
        await command(b'GET', KEY)
        await command(b'SET', KEY, VALUE, b'EX', EXPIRES)

    return {'raw RESP: GET + SET': get_set, 'raw RESP: GET, SET not awaited': get_only,
            'memory-store request, then raw GET + SET': memory_get_set}


async def client_rows(url):
    """GET + SET through redis-py, with each parser."""
    rows = {}
    for name, parser in parsers().items():
        client = redis_client(url, parser)
        await client.set(KEY, VALUE, ex=int(EXPIRES))
        assert await client.get(KEY) == VALUE

        async def get_set(client=client):
            await client.get(KEY)
            await client.set(KEY, VALUE, ex=1209600)
        rows[name + ': GET + SET'] = get_set
    return rows


async def measure(one, seconds):
    """(CPU µs, wall µs) per call of *one*, over batches until *seconds* of
    wall time pass."""
    n = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while True:
        for _ in range(100):
            await one()
        n += 100
        wall = time.perf_counter() - wall0
        if wall >= seconds:
            return (time.process_time() - cpu0) / n * 1e6, wall / n * 1e6


async def main(seconds, rounds):
    url = apps._redis_url()  # started here, terminated when the run exits
    from plugdot_sessions.redis import RedisBackend
    memory = await plugdot_row('memory')
    rows = {'plugdot, cookie store': await plugdot_row(True), 'plugdot, memory store': memory}
    for name, parser in parsers().items():
        backend = RedisBackend(client=redis_client(url, parser))
        rows['plugdot, Redis store (%s)' % name] = await plugdot_row(backend)
    rows['plugdot, raw RESP store'] = await plugdot_row(resp_backend(url))
    rows.update(await raw_rows(url, memory))
    rows.update(await client_rows(url))
    for one in rows.values():  # warm up
        await measure(one, seconds / 3)
    best, per_round = {}, []
    for i in range(rounds):
        this = {}
        for name in list(rows)[::-1 if i % 2 else 1]:
            this[name] = got = await measure(rows[name], seconds)
            old = best.get(name, got)
            best[name] = (min(old[0], got[0]), min(old[1], got[1]))
        per_round.append(this)
    base = best['plugdot, cookie store']
    print('µs per request (best of %d rounds, %.1f s each); × cookie store' % (rounds, seconds))
    print('%-44s %9s %9s %9s %9s' % ('row', 'CPU µs', '× cookie', 'wall µs', '× cookie'))
    for name, (cpu, wall) in best.items():
        print('%-44s %9.1f %9.2f %9.1f %9.2f' % (name, cpu, cpu / base[0], wall, wall / base[1]))
    print('\n× cookie store within each round: min / median / max (CPU; wall)')
    for name in rows:
        cells = []
        for k in (0, 1):
            ratios = sorted(r[name][k] / r['plugdot, cookie store'][k] for r in per_round)
            cells.append('%.2f / %.2f / %.2f' % (ratios[0], ratios[len(ratios) // 2], ratios[-1]))
        print('%-44s %20s; %s' % (name, cells[0], cells[1]))
    for task in inprocess.LIFESPANS:
        task.cancel()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seconds', type=float, default=0.3)
    parser.add_argument('--rounds', type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.rounds))
