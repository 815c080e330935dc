"""plugdot-broadcast's memory backend, and SSE resume through it (CPython
and MicroPython)."""
import asyncio

from plugdot import App
from plugdot.testing import TestClient
from plugdot_broadcast import Broadcast
from plugdot_sse import with_sse


def run(coro):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def test_publish_reaches_every_subscriber_of_the_channel_only():
    async def scenario():
        b = Broadcast('memory://')
        got = {'a1': [], 'a2': [], 'b': []}
        async with b.subscribe('a') as a1, b.subscribe('a') as a2, b.subscribe('b') as sb:
            assert b.subscribers('a') == 2
            ids = []
            for i in range(3):
                ids.append(await b.publish('a', {'n': i}))
            await b.publish('b', b'\x00raw')
            for _ in range(3):
                got['a1'].append(await a1.__anext__())
                got['a2'].append(await a2.__anext__())
            got['b'].append(await sb.__anext__())
        assert b.subscribers('a') == 0 and b.subscribers('b') == 0
        return got, ids
    got, ids = run(scenario())
    assert [m.data for m in got['a1']] == [{'n': 0}, {'n': 1}, {'n': 2}]
    assert [m.id for m in got['a2']] == ids and ids == sorted(ids, key=lambda i: [int(x) for x in i.split('-')])
    assert got['b'][0].data == b'\x00raw' and got['b'][0].channel == 'b'


def test_a_slow_subscriber_drops_its_oldest_messages_and_counts_them():
    async def scenario():
        b = Broadcast('memory://', backlog=3)
        async with b.subscribe('x') as sub:
            for i in range(10):
                await b.publish('x', i)
            items = []
            for _ in range(3):
                items.append((await sub.__anext__()).data)
            return items, sub.dropped
    assert run(scenario()) == ([7, 8, 9], 7)


def test_resume_replays_what_was_missed_or_says_resync():
    async def scenario():
        b = Broadcast('memory://', history=5)
        ids = []
        for i in range(8):  # 0..2 fall out of the history
            ids.append(await b.publish('x', i))
        out = {}
        async with b.subscribe('x', last_id=ids[4]) as sub:
            out['replay'] = []
            for _ in range(3):
                out['replay'].append((await sub.__anext__()).data)
            await b.publish('x', 'live')
            out['live'] = (await sub.__anext__()).data
        async with b.subscribe('x', last_id=ids[1]) as sub:  # older than the history
            first = await sub.__anext__()
            after_id = await b.publish('x', 'after')
            out['gap'] = (first.resync, (await sub.__anext__()).data)
        for bad in ('garbage', '1-1', '99999999999999-0'):  # unknown or from another run
            async with b.subscribe('x', last_id=bad) as sub:
                assert (await sub.__anext__()).resync, bad
        async with b.subscribe('x', last_id=after_id) as sub:  # up to date: nothing to replay
            await b.publish('x', 'next')
            out['current'] = (await sub.__anext__()).data
        return out
    assert run(scenario()) == {'replay': [5, 6, 7], 'live': 'live', 'gap': (True, 'after'),
                               'current': 'next'}


def test_leaving_the_loop_by_cancellation_unsubscribes():
    async def scenario():
        b = Broadcast('memory://')

        async def reader():
            async for _ in b.subscribe('c'):
                pass
        task = asyncio.create_task(reader())
        await asyncio.sleep(0.01)
        assert b.subscribers('c') == 1
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return b.subscribers('c')
    assert run(scenario()) == 0


def make_app(**config):
    app = App(config=config or None, plugins=['plugdot_sse', 'plugdot_broadcast'])

    @app.get('/feed')
    @with_sse
    async def feed(request, sse):
        async with app.broadcast.subscribe('ticks', last_id=sse.last_event_id) as messages:
            await sse.forward(messages)

    @app.post('/publish')
    async def publish(request):
        return {'id': await app.broadcast.publish('ticks', request.json)}
    return app


def test_sse_resume_through_the_app_broadcast():
    app = make_app(broadcast_history=4)
    client = TestClient(app)

    async def scenario():
        async def publish(n):
            return (await client.request_async('POST', '/publish', json={'n': n})).json()['id']
        ids = []
        for i in range(3):
            ids.append(await publish(i))
        live = asyncio.create_task(client.request_async('GET', '/feed', events=2))
        await asyncio.sleep(0.05)
        await publish(3)
        await publish(4)
        first = await live
        # the client was away while 5 and 6 were published: it resumes from 4
        await publish(5)
        await publish(6)
        resumed = await client.request_async('GET', '/feed', events=2,
                                             headers={'Last-Event-ID': first.events[-1].id})
        # away too long: 7..12 published, only the last 4 kept
        for n in range(7, 13):
            await publish(n)
        stale = await client.request_async('GET', '/feed', events=1,
                                           headers={'Last-Event-ID': resumed.events[-1].id})
        return ids, first, resumed, stale
    ids, first, resumed, stale = run(scenario())
    assert [e.json() for e in first.events] == [{'n': 3}, {'n': 4}]
    assert [e.json() for e in resumed.events] == [{'n': 5}, {'n': 6}]
    assert [e.event for e in stale.events] == ['resync']
    assert app.broadcast.subscribers('ticks') == 0


def test_websocket_broadcast_relays_through_a_channel():
    from plugdot_websocket import Broadcast as Clients
    from plugdot_websocket import with_websocket
    app = App(plugins=['plugdot_websocket', 'plugdot_broadcast'])
    room = Clients('room', app.broadcast)

    @app.route('/ws')
    @with_websocket
    async def chat(request, ws):
        room.add(ws)
        try:
            async for message in ws:
                await room.send(message)
        finally:
            room.discard(ws)

    with TestClient(app) as client:  # one event loop for both sockets
        with client.websocket_connect('/ws') as one:
            with client.websocket_connect('/ws') as two:
                one.send('hello')
                assert one.receive() == 'hello' and two.receive() == 'hello'
                two.send_json({'a': 1})
                assert one.receive_json() == {'a': 1} and two.receive_json() == {'a': 1}
        async def pause():
            await asyncio.sleep(0.01)
        client._run(pause())  # the relay task ends with the last client
        assert app.broadcast.subscribers('room') == 0


def test_the_websocket_broadcast_needs_both_channel_and_via():
    from plugdot_websocket import Broadcast as Clients
    try:
        Clients('room')
    except ValueError:
        return
    raise AssertionError('ValueError not raised')
