"""Sessions, side by side in one run (in-process, µs/request):

1. the hello-world request of bench/inprocess.py with plugdot-sessions (and
   every other installed plugdot plugin) loaded but unused, against an app
   with no plugins: the cost of having the plugin installed;
2. a request that reads and writes a cookie session (a visit counter, the
   client sending the cookie from the previous response), plugdot-sessions
   against Starlette's SessionMiddleware.

Usage: python bench/sessions.py [--seconds 0.3] [--rounds 5]
"""
import argparse
import asyncio

from inprocess import exchange, measure

SECRET = 'bench-secret-0123456789abcdef0123'


def plugdot_hello(plugins):
    from plugdot import App
    app = App(plugins=plugins, config={'secret_key': SECRET})

    @app.get('/')
    async def hello(request):
        return 'Hello, World!'
    return app


def plugdot_counter():
    from plugdot import App
    app = App(config={'secret_key': SECRET})

    @app.get('/count')
    async def count(request):
        request.session['n'] = request.session.get('n', 0) + 1
        return 'ok'
    return app


def starlette_counter():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def count(request):
        request.session['n'] = request.session.get('n', 0) + 1
        return PlainTextResponse('ok')
    return Starlette(routes=[Route('/count', count)],
                     middleware=[Middleware(SessionMiddleware, secret_key=SECRET)])


async def first_cookie(app, path):
    for name, value in (await exchange(app, path))[0]['headers']:
        if name == b'set-cookie':
            return value.split(b';')[0]
    raise AssertionError('no session cookie from %r' % app)


async def main(seconds, rounds):
    bare, loaded = plugdot_hello([]), plugdot_hello(None)
    names = sorted(n for n, _ in loaded.plugins.list_name_plugin() if not n.startswith('plugdot.'))
    pd, st = plugdot_counter(), starlette_counter()
    pd_cookie = await first_cookie(pd, '/count')
    st_cookie = await first_cookie(st, '/count')
    best = {'bare': 1e9, 'loaded': 1e9, 'plugdot': 1e9, 'starlette': 1e9}
    for _ in range(rounds):
        best['bare'] = min(best['bare'], await measure(bare, '/', seconds))
        best['loaded'] = min(best['loaded'], await measure(loaded, '/', seconds))
        best['plugdot'] = min(best['plugdot'], await measure(pd, '/count', seconds, [(b'cookie', pd_cookie)]))
        best['starlette'] = min(best['starlette'], await measure(st, '/count', seconds, [(b'cookie', st_cookie)]))
    print('hello, no plugins:               %6.2f µs' % best['bare'])
    print('hello, plugins loaded, unused:   %6.2f µs  (× %.3f; plugins: %s)'
          % (best['loaded'], best['loaded'] / best['bare'], ', '.join(names)))
    print('session read+write, plugdot:     %6.2f µs' % best['plugdot'])
    print('session read+write, Starlette:   %6.2f µs  (× %.2f of plugdot)'
          % (best['starlette'], best['starlette'] / best['plugdot']))


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seconds', type=float, default=0.3)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.rounds))
