"""Drive each framework's ASGI callable in-process (no server, no sockets),
side by side in one run, for every scenario below; report µs/request and
each framework's time over plugdot's.

Scenarios: hello (GET /), param (GET /users/42), session (read and write a
cookie session, the client sending back the cookie of the previous
response), routes50 / routes500 (the last of 50 / 500 dynamic routes),
json (POST a 1 KB JSON body, get it back), form (POST an urlencoded form).

Usage: python bench/inprocess.py [--seconds 0.3] [--rounds 5] [--clock cpu|wall]
       [--only plugdot Muffin] [--scenarios hello session]

Prints the best of the rounds, then each framework's range of ratios to
plugdot over the rounds (each round measures every framework)."""
import argparse
import asyncio
import json
import sys
import time

import apps

#: A 1 KB JSON document: what an API typically posts.
JSON_BODY = json.dumps({
    'id': 12345, 'name': 'Ann Example', 'email': 'ann@example.com', 'active': True,
    'roles': ['admin', 'editor', 'viewer'], 'score': 98.5, 'manager': None,
    'address': {'street': '1 Main Street', 'city': 'Springfield', 'zip': '12345',
                'country': 'US'},
    'items': [{'sku': 'SKU-%04d' % i, 'qty': i, 'price': 9.99 + i, 'tags': ['a', 'b']}
              for i in range(9)],
}, separators=(',', ':')).encode()
FORM_BODY = b'name=Ann&email=ann%40example.com&message=Hello+there%21&subscribe=on'

#: name -> (method, path, extra headers, body, factory keyword arguments, expected body part)
SCENARIOS = {
    'hello': ('GET', '/', [], b'', {}, b'Hello, World!'),
    'param': ('GET', '/users/42', [], b'', {}, b'42'),
    'session': ('GET', '/count', [], b'', {'sessions': True}, b'ok'),
    'routes50': ('GET', '/things49/abc', [], b'', {'routes': 50}, b'abc'),
    'routes500': ('GET', '/things499/abc', [], b'', {'routes': 500}, b'abc'),
    'json': ('POST', '/echo', [(b'content-type', b'application/json')], JSON_BODY, {},
             b'"Springfield"'),
    'form': ('POST', '/form', [(b'content-type', b'application/x-www-form-urlencoded')],
             FORM_BODY, {}, b'Hello, Ann'),
}


def make_scope(path, method='GET', headers=(), body=b''):
    headers = [(b'host', b'127.0.0.1:8000'), (b'user-agent', b'bench'),
               (b'accept', b'*/*')] + list(headers)
    if body:
        headers.append((b'content-length', str(len(body)).encode()))
    return {'type': 'http', 'asgi': {'version': '3.0', 'spec_version': '2.3'},
            'http_version': '1.1', 'method': method, 'scheme': 'http', 'path': path,
            'raw_path': path.encode(), 'query_string': b'', 'root_path': '',
            'headers': headers,
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
    """receive/send for one request, as a server gives them: the body once,
    then ``http.disconnect`` only after the response is complete
    (Microdot's ASGI adapter waits for it)."""

    __slots__ = ('given', 'done', 'waiter', 'request')
    REQUEST = {'type': 'http.request', 'body': b'', 'more_body': False}
    DISCONNECT = {'type': 'http.disconnect'}

    def __init__(self, request=None):
        self.given = self.done = False
        self.waiter = None
        self.request = request or self.REQUEST

    async def receive(self):
        if not self.given:
            self.given = True
            return self.request
        if not self.done:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return self.DISCONNECT

    async def send(self, message):
        if message['type'] == 'http.response.body' and not message.get('more_body'):
            self.done = True
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)


async def exchange(app, path, method='GET', headers=(), body=b''):
    """Run one request; return the ASGI messages the app sent."""
    sent = []
    ex = Exchange({'type': 'http.request', 'body': body, 'more_body': False})

    async def send(message):
        sent.append(message)
        await ex.send(message)
    await app(make_scope(path, method, headers, body), ex.receive, send)
    return sent


async def check(app, path, method='GET', headers=(), body=b''):
    """The response body; fail unless the status is 200."""
    sent = await exchange(app, path, method, headers, body)
    status = sent[0]['status']
    out = b''.join(m.get('body', b'') for m in sent[1:])
    assert status == 200, (status, out)
    return out


async def session_cookie(app, path):
    """The Cookie header a browser would send after a first request to *path*."""
    sent = await exchange(app, path)
    cookies = [v.split(b';')[0] for k, v in sent[0]['headers'] if k.lower() == b'set-cookie']
    if not cookies:
        raise AssertionError('no session cookie')
    return [(b'cookie', b'; '.join(cookies))]


async def measure(app, path, seconds, extra_headers=(), method='GET', body=b''):
    """µs per request: run batches until *seconds* pass."""
    template = make_scope(path, method, extra_headers, body)
    message = {'type': 'http.request', 'body': body, 'more_body': False}
    n = 0
    start = CLOCK()
    while True:
        for _ in range(200):
            ex = Exchange(dict(message))
            await app(dict(template), ex.receive, ex.send)
        n += 200
        elapsed = CLOCK() - start
        if elapsed >= seconds:
            return elapsed / n * 1e6


#: What measure() reads: the process's CPU time (``--clock cpu``, the
#: default), which time spent waiting for a core on a busy machine does not
#: inflate, or wall time (``--clock wall``).
CLOCK = time.process_time

LIFESPANS = []  # the apps' lifespan tasks, kept to the end of the run


async def prepare(name, factory, scenario):
    """An app ready for *scenario* and its extra headers, or None where the
    framework has no such feature."""
    method, path, headers, body, kwargs, expected = SCENARIOS[scenario]
    try:
        app = factory(**kwargs)
    except (ImportError, NotImplementedError) as exc:
        if isinstance(exc, ImportError):
            print('skip %s/%s: %s' % (name, scenario, exc), file=sys.stderr)
        return None
    LIFESPANS.append(await startup(app))
    headers = list(headers)
    if scenario == 'session':
        headers += await session_cookie(app, path)
        # the cookie must carry the session: the second request sees n == 1
    out = await check(app, path, method, headers, body)
    assert expected in out, (name, scenario, out)
    return app, headers


async def main(seconds, rounds, only, scenarios):
    frameworks = dict(apps.FRAMEWORKS)
    frameworks.update(apps.SESSION_ONLY)
    loaded = {}
    for scenario in scenarios:
        for name, factory in frameworks.items():
            if only and name not in only:
                continue
            if name in apps.SESSION_ONLY and scenario != 'session':
                continue
            ready = await prepare(name, factory, scenario)
            if ready is not None:
                loaded[name, scenario] = ready
    results = {key: float('inf') for key in loaded}
    per_round = []
    # Interleave frameworks and scenarios within each round so that machine
    # noise hits all alike.
    for _ in range(rounds):
        this = {}
        for (name, scenario), (app, headers) in loaded.items():
            method, path, _, body, _, _ = SCENARIOS[scenario]
            us = this[name, scenario] = await measure(app, path, seconds, headers, method, body)
            results[name, scenario] = min(results[name, scenario], us)
        per_round.append(this)
    names = [n for n in frameworks if any((n, s) in results for s in scenarios)]
    print('µs/request (best of %d rounds); in brackets: × plugdot' % rounds)
    print('%-24s' % 'framework' + ''.join('%18s' % s for s in scenarios))
    for name in names:
        row = '%-24s' % name
        for s in scenarios:
            us = results.get((name, s))
            base = results.get(('plugdot', s))
            row += '%18s' % ('—' if us is None else '%.2f (%.2f)' % (us, us / base if base else 0))
        print(row)
    print('\n× plugdot in each round (min–max over %d rounds)' % rounds)
    for name in names:
        row = '%-24s' % name
        for s in scenarios:
            ratios = [r[name, s] / r['plugdot', s] for r in per_round
                      if (name, s) in r and ('plugdot', s) in r]
            row += '%18s' % ('%.2f–%.2f' % (min(ratios), max(ratios)) if ratios else '—')
        print(row)
    for task in LIFESPANS:
        task.cancel()
    return results


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seconds', type=float, default=0.3)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--only', nargs='*')
    parser.add_argument('--scenarios', nargs='*', default=list(SCENARIOS))
    parser.add_argument('--clock', choices=('cpu', 'wall'), default='cpu',
                        help='cpu: the process time (default; waiting for a core on a '
                             'busy machine does not count), wall: elapsed time')
    args = parser.parse_args()
    CLOCK = time.process_time if args.clock == 'cpu' else time.perf_counter
    asyncio.run(main(args.seconds, args.rounds, args.only, args.scenarios))
