"""Drive each framework's ASGI callable in-process (no server, no sockets)
for GET / and GET /users/<id>, side by side in one run; report µs/request
and ratios. Usage: python bench/inprocess.py [--seconds 0.4] [--rounds 5]"""
import argparse
import asyncio
import sys
import time

import apps


def make_scope(path):
    return {'type': 'http', 'asgi': {'version': '3.0', 'spec_version': '2.3'},
            'http_version': '1.1', 'method': 'GET', 'scheme': 'http', 'path': path,
            'raw_path': path.encode(), 'query_string': b'', 'root_path': '',
            'headers': [(b'host', b'127.0.0.1:8000'), (b'user-agent', b'bench'),
                        (b'accept', b'*/*')],
            'client': ('127.0.0.1', 50000), 'server': ('127.0.0.1', 8000)}


async def startup(app):
    """Run the lifespan startup (BlackSheep, Muffin need it)."""
    messages = [{'type': 'lifespan.startup'}]
    done = asyncio.Event()
    never = asyncio.Event()

    async def receive():
        if messages:
            return messages.pop()
        await never.wait()  # the app stays up for the whole run

    async def send(message):
        if message['type'].startswith('lifespan.startup'):
            done.set()
    task = asyncio.create_task(app({'type': 'lifespan', 'asgi': {'version': '3.0'}}, receive, send))
    try:
        await asyncio.wait_for(done.wait(), 5)
    except asyncio.TimeoutError:
        pass
    return task


class Exchange:
    """receive/send for one request, as a server gives them: the (empty)
    body once, then ``http.disconnect`` only after the response is complete
    (Microdot's ASGI adapter waits for it)."""

    __slots__ = ('given', 'done', 'waiter')
    REQUEST = {'type': 'http.request', 'body': b'', 'more_body': False}
    DISCONNECT = {'type': 'http.disconnect'}

    def __init__(self):
        self.given = self.done = False
        self.waiter = None

    async def receive(self):
        if not self.given:
            self.given = True
            return self.REQUEST
        if not self.done:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return self.DISCONNECT

    async def send(self, message):
        if message['type'] == 'http.response.body' and not message.get('more_body'):
            self.done = True
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)


async def exchange(app, path):
    """Run one request; return the ASGI messages the app sent."""
    sent = []
    ex = Exchange()

    async def send(message):
        sent.append(message)
        await ex.send(message)
    await app(make_scope(path), ex.receive, send)
    return sent


async def check(app, path):
    sent = await exchange(app, path)
    status = sent[0]['status']
    body = b''.join(m.get('body', b'') for m in sent[1:])
    assert status == 200, (status, body)
    return body


async def measure(app, path, seconds, extra_headers=()):
    """µs per request: run batches until *seconds* pass."""
    template = make_scope(path)
    template['headers'] = template['headers'] + list(extra_headers)
    n = 0
    start = time.perf_counter()
    while True:
        for _ in range(200):
            ex = Exchange()
            await app(dict(template), ex.receive, ex.send)
        n += 200
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / n * 1e6


async def main(seconds, rounds, only):
    loaded = {}
    for name, factory in apps.FRAMEWORKS.items():
        if only and name not in only:
            continue
        try:
            app = factory()
        except ImportError as exc:
            print('skip %s: %s' % (name, exc), file=sys.stderr)
            continue
        await startup(app)
        hello = await check(app, '/')
        user = await check(app, '/users/42')
        assert b'Hello, World!' in hello and b'42' in user, (name, hello, user)
        loaded[name] = app
    results = {name: [float('inf'), float('inf')] for name in loaded}
    # Interleave frameworks within each round so that machine noise hits all alike.
    for _ in range(rounds):
        for name, app in loaded.items():
            for i, path in enumerate(('/', '/users/42')):
                results[name][i] = min(results[name][i], await measure(app, path, seconds))
    raw = results.get('raw ASGI')
    pd = results.get('plugdot')
    print('%-12s %10s %10s %10s %10s %12s %12s' % ('framework', 'hello µs', 'param µs', 'hello×raw',
                                                    'param×raw', 'hello/plugdot', 'param/plugdot'))
    for name, (h, p) in sorted(results.items(), key=lambda kv: kv[1][0]):
        print('%-12s %10.2f %10.2f %10.2f %10.2f %12.2f %12.2f' % (
            name, h, p, h / raw[0] if raw else 0, p / raw[1] if raw else 0,
            h / pd[0] if pd else 0, p / pd[1] if pd else 0))
    return results


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seconds', type=float, default=0.3)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--only', nargs='*')
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.rounds, args.only))
