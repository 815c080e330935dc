"""plugdot-sse through the in-process TestClient and the framing corpus
(CPython and MicroPython)."""
import asyncio
import sys

from plugdot import App, HTTPError
from plugdot._eventstream import EventParser, parse_events
from plugdot.testing import TestClient
from plugdot_sse import Event, EventStream, StreamClosed, open_streams, with_sse
from plugdot_sse.framing import encode, encode_comment, to_frame

MICROPYTHON = sys.implementation.name == 'micropython'


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError('%s was not raised' % exc_type.__name__)


def roundtrip(**fields):
    events = parse_events(encode(**fields).decode())
    assert len(events) == 1, events
    return events[0]


# -- framing corpus ---------------------------------------------------------------
def test_multiline_data_on_every_line_end():
    for text in ('a\nb\nc', 'a\r\nb\r\nc', 'a\rb\rc', 'a\r\nb\nc'):
        frame = encode(text)
        assert frame == b'data: a\ndata: b\ndata: c\n\n', (text, frame)
        assert roundtrip(data=text).data == 'a\nb\nc'
    assert encode('x\n') == b'data: x\ndata:\n\n'
    assert roundtrip(data='\n\nx\n').data == '\n\nx\n'


def test_empty_unicode_json_bytes_and_leading_spaces():
    assert encode('') == b'data:\n\n' and roundtrip(data='').data == ''
    assert encode(None) == b'data:\n\n'
    assert roundtrip(data='héllo ☃ 🎉').data == 'héllo ☃ 🎉'
    assert encode({'a': [1, 2], 'b': 'x'}) in (b'data: {"a":[1,2],"b":"x"}\n\n',
                                               b'data: {"b":"x","a":[1,2]}\n\n')
    assert encode([1, 'two']) == b'data: [1,"two"]\n\n'
    assert encode(42) == b'data: 42\n\n'
    assert roundtrip(data={'t': 'a\nb'}).json() == {'t': 'a\nb'}  # JSON escapes the newline
    assert encode('é'.encode()) == 'data: é\n\n'.encode()
    raises(ValueError, encode, b'\xff\xfe')
    assert roundtrip(data='  two spaces').data == '  two spaces'
    assert roundtrip(data=': not a comment').data == ': not a comment'


def test_fields_event_id_retry():
    assert encode('x', event='tick', id='7', retry=3000) == \
        b'event: tick\nid: 7\nretry: 3000\ndata: x\n\n'
    e = roundtrip(data='x', event='tick', id='7', retry=3000)
    assert (e.event, e.data, e.id, e.retry) == ('tick', 'x', '7', 3000)
    assert encode('x', id=12) == b'id: 12\ndata: x\n\n'
    assert encode('x', event='') == b'data: x\n\n'
    assert encode(retry=1500) == b'retry: 1500\n\n' and encode(id='5') == b'id: 5\n\n'
    assert parse_events('retry: 1500\n\n') == []  # fields only: no event dispatched
    assert roundtrip(data='x', id='').id == ''  # an empty id resets the client's last id


def test_injection_attempts_are_refused():
    for bad in ('a\nb', 'a\rb', 'a\r\nb', 'a\x00b', '\n', 'x\ndata: injected'):
        raises(ValueError, encode, 'x', event=bad)
        raises(ValueError, encode, 'x', id=bad)
        raises(ValueError, encode_comment, bad)
        raises(ValueError, Event, 'x', event=bad)
    for bad in (-1, 1.5, '100', True):
        raises(ValueError, encode, 'x', retry=bad)
    # data cannot inject: every line becomes a data line
    events = parse_events(encode('a\n\nevent: evil\nid: 666\n\ndata: x').decode())
    assert len(events) == 1 and events[0].event == 'message' and events[0].id is None


def test_comments_and_event_items():
    assert encode_comment('ping') == b': ping\n\n' and encode_comment() == b':\n\n'
    assert to_frame(Event('x', event='e')) == b'event: e\ndata: x\n\n'
    assert to_frame({'data': {'k': 1}, 'id': '3'}) == b'id: 3\ndata: {"k":1}\n\n'
    assert to_frame({'comment': 'hi'}) == b': hi\n\n'
    assert to_frame('plain') == b'data: plain\n\n'
    raises(ValueError, to_frame, {'data': 'x', 'evnt': 'typo'})
    raises(TypeError, to_frame, 42)


def test_parser_pieces_comments_and_nul_ids():
    p = EventParser()
    stream = ': hello\r\n\r\nevent: a\r\ndata: 1\r\n\r\nid: 9\ndata:2\n\nid: x\x00y\ndata: 3\r\rdata: 4\n\n'
    events = []
    for i in range(len(stream)):  # one character at a time, CRLF split included
        events += p.feed(stream[i])
    assert [(e.event, e.data, e.id) for e in events] == \
        [('a', '1', None), ('message', '2', '9'), ('message', '3', '9'), ('message', '4', '9')]
    assert p.comments == 1


# -- through the app -----------------------------------------------------------
def make_app(**config):
    app = App(config=config or None, plugins=['plugdot_sse'])
    log = []
    app.log = log

    @app.get('/count/<int:n>')
    @with_sse
    async def count(request, sse, n):
        for i in range(n):
            await sse.send({'i': i}, event='count', id=str(i))

    @app.get('/forever')
    @with_sse
    async def forever(request, sse):
        log.append(('start', sse.last_event_id))
        try:
            i = 0
            while True:
                await sse.send('tick %d' % i, id=str(i))
                i += 1
                await asyncio.sleep(0.01)
        finally:
            log.append('cleanup')

    @app.get('/idle')
    @with_sse
    async def idle(request, sse):
        try:
            await sse.send('hello')
            await asyncio.sleep(3600)
        finally:
            log.append('idle cleanup')

    @app.get('/close')
    @with_sse
    async def close(request, sse):
        await sse.send('one')
        await sse.close()
        log.append(sse.closed)
        try:
            await sse.send('two')
        except StreamClosed:
            log.append('closed raised')

    @app.get('/bad')
    @with_sse
    async def bad(request, sse):
        await sse.send('before')
        try:
            await sse.send('x', event='a\nb')
        except ValueError:
            log.append('refused')
        await sse.send('after')

    @app.get('/boom')
    @with_sse
    async def boom(request, sse):
        await sse.send('first')
        raise RuntimeError('handler bug')

    @app.get('/private')
    @with_sse
    async def private(request, sse):
        await sse.send('secret')

    @app.before_request
    def guard(request):
        if request.path == '/private' and request.headers.get('authorization') != 'yes':
            raise HTTPError(401)

    class Gen:  # a class-based async iterator: MicroPython has no async generators
        def __init__(self):
            self.i = 0

        def __aiter__(self):
            return self

        async def __anext__(self):
            self.i += 1
            if self.i > 3:
                raise StopAsyncIteration
            return [Event('e%d' % self.i, id=str(self.i)), {'data': 'd', 'event': 'x'},
                    'plain'][self.i - 1]

        async def aclose(self):
            log.append('gen closed')

    @app.get('/iter')
    async def iterated(request):
        return EventStream(Gen())

    @app.get('/sync')
    async def sync_iterated(request):
        def gen():
            try:
                for i in range(3):
                    yield {'data': i, 'id': str(i)}
            finally:
                log.append('sync closed')
        return EventStream(gen())

    @app.get('/ping')
    @with_sse
    async def ping(request, sse):
        await asyncio.sleep(0.35)
        await sse.send('late')
    return app


def test_headers_and_events_of_a_finite_stream():
    r = TestClient(make_app()).get('/count/3')
    assert r.status_code == 200
    assert r.headers['content-type'] == 'text/event-stream; charset=utf-8'
    assert r.headers['cache-control'] == 'no-store' and r.headers['x-accel-buffering'] == 'no'
    assert 'connection' not in r.headers and 'content-length' not in r.headers
    assert [(e.event, e.json(), e.id) for e in r.events] == \
        [('count', {'i': i}, str(i)) for i in range(3)]
    assert r.text.startswith(':\n\n')  # the opening comment


def test_read_n_events_then_disconnect_runs_the_cleanup():
    app = make_app()
    r = TestClient(app).get('/forever', events=5, headers={'Last-Event-ID': '41'})
    assert [e.data for e in r.events[:5]] == ['tick %d' % i for i in range(5)]
    assert app.log == [('start', '41'), 'cleanup']
    assert open_streams(app) == []


def test_idle_handler_is_cancelled_when_the_client_leaves():
    app = make_app()
    r = TestClient(app).get('/idle', events=1)
    assert r.events[0].data == 'hello' and app.log == ['idle cleanup']


def test_close_ends_the_stream_and_later_sends_raise():
    app = make_app()
    r = TestClient(app).get('/close')
    assert [e.data for e in r.events] == ['one']
    assert app.log == [True, 'closed raised']


def test_an_injection_in_a_handler_raises_and_sends_nothing():
    app = make_app()
    r = TestClient(app).get('/bad')
    assert [e.data for e in r.events] == ['before', 'after'] and app.log == ['refused']
    assert b'evil' not in r.body and r.body.count(b'event') == 0


def test_a_failing_handler_ends_the_stream_without_a_traceback():
    r = TestClient(make_app()).get('/boom')
    assert r.status_code == 200 and [e.data for e in r.events] == ['first']
    assert b'Traceback' not in r.body and b'handler bug' not in r.body


def test_before_request_guards_a_stream():
    client = TestClient(make_app())
    assert client.get('/private').status_code == 401
    r = client.get('/private', headers={'Authorization': 'yes'})
    assert r.events[0].data == 'secret'


def test_a_handler_may_return_an_iterator_of_events():
    app = make_app()
    r = TestClient(app).get('/iter')
    assert [(e.event, e.data, e.id) for e in r.events] == \
        [('message', 'e1', '1'), ('x', 'd', '1'), ('message', 'plain', '1')]
    assert app.log == ['gen closed']
    r = TestClient(app).get('/sync')
    assert [(e.data, e.id) for e in r.events] == [('0', '0'), ('1', '1'), ('2', '2')]
    assert 'sync closed' in app.log


def test_keep_alive_comments_while_idle():
    r = TestClient(make_app(sse_ping_interval=0.1)).get('/ping')
    assert r.events[0].data == 'late'
    pings = r.body.split(b'data: late')[0].count(b':\n\n') - 1  # minus the opening comment
    assert pings >= 2, r.body


def test_stream_cap_answers_503_with_retry_after():
    app = make_app(sse_max_streams=2, sse_retry_after=7)
    client = TestClient(app)
    results = []

    async def scenario():
        first = asyncio.create_task(client.request_async('GET', '/forever', events=30))
        second = asyncio.create_task(client.request_async('GET', '/forever', events=30))
        await asyncio.sleep(0.05)
        assert len(open_streams(app)) == 2
        third = await client.request_async('GET', '/forever', events=1)
        results.append(third)
        await first
        await second
        fourth = await client.request_async('GET', '/forever', events=1)
        results.append(fourth)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    third, fourth = results
    assert third.status_code == 503 and third.headers['retry-after'] == '7'
    assert fourth.status_code == 200 and fourth.events[0].data == 'tick 0'


def test_head_request_runs_no_handler():
    app = make_app()
    r = TestClient(app).head('/forever')
    assert r.status_code == 200 and r.body == b'' and app.log == []


def test_class_style_method():
    log = []

    class Feed(App):
        @with_sse
        async def ticks(self, sse, *segments):
            log.append(self.request.path)
            for s in segments:
                await sse.send(s)

    r = TestClient(Feed(plugins=['plugdot_sse'])).get('/ticks/a/b')
    assert [e.data for e in r.events] == ['a', 'b'] and log == ['/ticks/a/b']


def test_shutdown_sends_the_last_event_to_open_streams():
    app = make_app(sse_shutdown_event='bye')
    with TestClient(app) as client:
        async def scenario():
            task = asyncio.create_task(client.request_async('GET', '/idle', events=3))
            await asyncio.sleep(0.05)
            await app.shutdown()
            return await task
        r = client._loop.run_until_complete(scenario())
    assert [(e.event, e.data) for e in r.events] == [('message', 'hello'), ('bye', '')]
    assert 'idle cleanup' in app.log


def test_a_client_that_stops_reading_is_evicted():
    app = make_app(sse_queue_size=2, sse_send_timeout=0.2)
    outcome = []

    @app.get('/flood')
    @with_sse
    async def flood(request, sse):
        sent = 0
        try:
            while sent < 100:
                await sse.send('x' * 10)
                sent += 1
        except StreamClosed:
            outcome.append(('evicted', sent, sse.evicted))
            raise

    scope = TestClient(app).build_scope('GET', '/flood')

    async def scenario():
        stuck = asyncio.Event()
        messages = [{'type': 'http.request', 'body': b'', 'more_body': False}]

        async def receive():
            if messages:
                return messages.pop(0)
            await asyncio.sleep(3600)

        async def send(message):
            if message.get('more_body') and message['body'] != b':\n\n':
                await stuck.wait()  # the socket is full: the client reads nothing
        try:
            await asyncio.wait_for(app(scope, receive, send), 3)
        except asyncio.CancelledError:
            outcome.append('app cancelled')
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert outcome[0][0] == 'evicted' and outcome[0][2] is True and outcome[0][1] < 10, outcome


def test_app_mistakes_are_reported_when_the_app_is_built():
    raises(TypeError, EventStream, 'not an iterator of events')
    raises(TypeError, EventStream, 42)
    if not MICROPYTHON:
        def plain(request, sse):
            pass
        error = raises(TypeError, with_sse, plain)
        assert 'plain' in str(error) and 'async def' in str(error)


def test_events_n_fails_in_stream_timeout_when_fewer_events_come():
    app = App()

    @app.get('/one')
    @with_sse
    async def one(request, sse):
        await sse.send('only event')
        while True:  # an endless stream with nothing more to say
            await asyncio.sleep(1)

    @app.get('/chunks')
    async def chunks(request):
        async def body():
            yield 'one'
            await asyncio.sleep(60)
        return body()
    client = TestClient(app)
    error = raises(AssertionError, client.get, '/one', events=2, stream_timeout=0.3)
    assert str(error) == ('GET /one: 1 of the 2 events asked for (events=2) came, and the app '
                          'had not ended 0.3 s later (stream_timeout=0.3)'), str(error)
    error = raises(AssertionError, client.get, '/chunks', disconnect_after=2, stream_timeout=0.3)
    assert 'disconnect_after=2' in str(error) and 'stream_timeout=0.3' in str(error), str(error)
    assert [e.data for e in client.get('/one', events=1).events] == ['only event']
