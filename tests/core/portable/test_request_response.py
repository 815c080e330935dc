"""Request parsing, limits, return conventions, cookies, redirects, streaming."""
from plugdot import Response, HTTPError, abort, redirect, Headers, MultiDict, Request
from plugdot.datastructures import parse_query, parse_cookies, unquote
from plugdot.testing import TestClient

from .helpers import make_app, raises


def test_request_attributes():
    app = make_app()

    @app.get('/info')
    async def info(request):
        return {'method': request.method, 'path': request.path,
                'q': request.query.getlist('q'), 'agent': request.headers['USER-AGENT'],
                'cookies': request.cookies, 'client': list(request.client),
                'url': request.url}

    r = TestClient(app).get('/info?q=1&q=2', headers={'User-Agent': 'ua',
                                                       'Cookie': 'a=1; b="two"'})
    assert r.json() == {'method': 'GET', 'path': '/info', 'q': ['1', '2'], 'agent': 'ua',
                        'cookies': {'a': '1', 'b': 'two'}, 'client': ['127.0.0.1', 50000],
                        'url': 'http://testserver/info?q=1&q=2'}


def test_json_and_form_bodies():
    app = make_app()

    @app.post('/json')
    async def j(request):
        return {'got': request.json}

    @app.post('/form')
    async def f(request):
        return {'tags': request.form.getlist('tag'), 'name': request.form.get('name')}

    client = TestClient(app)
    assert client.post('/json', json={'a': [1, 2]}).json() == {'got': {'a': [1, 2]}}
    r = client.post('/form', body='tag=a&tag=b&name=J%C3%BC+x',
                    headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert r.json() == {'tags': ['a', 'b'], 'name': 'J\u00fc x'}


def test_invalid_json_and_bad_form_encoding_are_400():
    app = make_app()

    @app.post('/json')
    async def j(request):
        return {'got': request.json}

    @app.post('/form')
    async def f(request):
        return dict((k, request.form[k]) for k in request.form)

    client = TestClient(app)
    r = client.post('/json', body=b'{"a": ', headers={'Content-Type': 'application/json'})
    assert r.status_code == 400 and 'JSON' in r.text
    r = client.post('/form', body='a=%zz', headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert r.status_code == 400
    r = client.post('/form', body='a=%ff', headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert r.status_code == 400
    assert client.get('/json?x=%G1').status_code == 405  # route check comes first


def test_a_key_the_client_did_not_send_is_a_400_naming_it():
    app = make_app()
    seen = []

    @app.post('/form')
    async def f(request):
        return request.form['name'] + request.args['lang']

    @app.post('/caught')
    async def caught(request):
        try:
            return request.form['name']
        except KeyError as exc:  # still a KeyError for the handler's own fallback
            seen.append(exc.args)
            return 'anonymous'

    client = TestClient(app)
    form = {'Content-Type': 'application/x-www-form-urlencoded'}
    assert client.post('/form?lang=en', body='name=Ada', headers=form).text == 'Adaen'
    r = client.post('/form?lang=en', body='other=1', headers=form)
    assert r.status_code == 400 and "'name'" in r.text, (r.status_code, r.text)
    r = client.post('/form', body='name=Ada', headers=form)
    assert r.status_code == 400 and "'lang'" in r.text, (r.status_code, r.text)
    assert client.post('/caught', body='', headers=form).text == 'anonymous'
    r = client.post('/form?lang=%ff', body='name=Ada', headers=form)
    assert r.status_code == 400 and r.text.startswith('Malformed query string: ') \
        and len(r.text) > len('Malformed query string: '), r.text
    assert seen == [('name',)]

    @app.errorhandler(400)
    def bad(request, error):
        return 'handled: %s' % error.message, 400

    r = client.post('/form?lang=en', body='', headers=form)
    assert (r.status_code, r.text) == (400, "handled: Missing 'name'")
    d = MultiDict([('a', '1')])
    assert d['a'] == '1' and d.get('b') is None and 'b' not in d
    raises(KeyError, d.__getitem__, 'b')


def test_body_size_limit_is_413():
    app = make_app(max_body_size=10)

    @app.post('/up')
    async def up(request):
        return str(len(request.body))

    client = TestClient(app)
    assert client.post('/up', body=b'x' * 10).text == '10'
    r = client.post('/up', body=b'x' * 11)
    assert r.status_code == 413


def test_header_limits_are_431():
    app = make_app(max_header_count=5, max_header_size=200)

    @app.get('/')
    async def index(request):
        return 'ok'

    client = TestClient(app)
    assert client.get('/').status_code == 200
    many = dict(('X-H%d' % i, 'v') for i in range(10))
    assert client.get('/', headers=many).status_code == 431
    assert client.get('/', headers={'X-Big': 'v' * 300}).status_code == 431


def test_streamed_request_body():
    app = make_app(max_body_size=100)

    @app.post('/stream', stream=True)
    async def stream(request):
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return {'total': total}

    client = TestClient(app)
    assert client.post('/stream', body=b'y' * 64).json() == {'total': 64}
    assert client.post('/stream', body=b'y' * 101).status_code == 413


def test_return_conventions():
    app = make_app()
    values = {
        'str': 'text', 'bytes': b'\x00\x01', 'dict': {'a': 1}, 'list': [1, 2], 'none': None,
        'pair': ('made', 201), 'triple': ('t', 202, {'X-A': 'b'}),
        'status_first': (203, 'sf'), 'status_first3': (200, {'k': 'v'}, {'X-B': 'c'}),
        'response': Response('r', 206, {'X-C': 'd'}, content_type='text/plain'),
    }

    @app.get('/v/<name>')
    async def v(request, name):
        return values[name]

    c = TestClient(app)
    r = c.get('/v/str')
    assert (r.status_code, r.text, r.headers['content-type']) == (200, 'text', 'text/html; charset=utf-8')
    r = c.get('/v/bytes')
    assert r.body == b'\x00\x01' and r.headers['content-type'] == 'application/octet-stream'
    assert c.get('/v/dict').json() == {'a': 1}
    assert c.get('/v/dict').headers['content-type'] == 'application/json'
    assert c.get('/v/list').json() == [1, 2]
    r = c.get('/v/none')
    assert r.status_code == 204 and r.body == b'' and 'content-length' not in r.headers
    assert (c.get('/v/pair').status_code, c.get('/v/pair').text) == (201, 'made')
    r = c.get('/v/triple')
    assert (r.status_code, r.headers['x-a']) == (202, 'b')
    assert (c.get('/v/status_first').status_code, c.get('/v/status_first').text) == (203, 'sf')
    r = c.get('/v/status_first3')
    assert r.json() == {'k': 'v'} and r.headers['x-b'] == 'c'
    r = c.get('/v/response')
    assert (r.status_code, r.text, r.headers['x-c'], r.headers['content-type']) == (206, 'r', 'd', 'text/plain')


class Countdown:
    """A class-based async iterator (portable: no async generators)."""

    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == 0:
            raise StopAsyncIteration
        self.n -= 1
        return '%d\n' % self.n


def test_streaming_from_sync_and_async_iterators():
    app = make_app()

    @app.get('/sync')
    async def sync_stream(request):
        return iter(['a', b'b', 'c'])

    @app.get('/async')
    async def async_stream(request):
        return Countdown(3)

    c = TestClient(app)
    r = c.get('/sync')
    assert r.body == b'abc' and 'content-length' not in r.headers
    assert c.get('/async').text == '2\n1\n0\n'


def test_generator_handlers_stream_on_both_interpreters():
    """MicroPython cannot tell a coroutine from a generator: plain `def`
    handlers returning or being generators, and `async def` handlers that
    yield, must still answer (they never did there)."""
    import asyncio
    app = make_app()

    def parts():
        yield 'a'
        yield b'b'

    @app.get('/returns')
    def returns_generator(request):
        return parts()

    @app.get('/is')
    def is_generator(request):
        yield 'x'
        yield 'y'

    @app.get('/awaits')
    async def awaits_and_yields(request):
        for i in range(3):
            await asyncio.sleep(0)
            yield 'h%d' % i

    @app.get('/body')
    async def generator_body(request):
        return Response(awaits_and_yields(request), content_type='text/plain')

    @app.get('/plain')
    async def plain(request):
        await asyncio.sleep(0)
        return 'done'

    c = TestClient(app)
    assert c.get('/returns').text == 'ab'
    assert c.get('/is').text == 'xy'
    assert c.get('/awaits').text == 'h0h1h2'
    assert c.get('/body').text == 'h0h1h2'
    assert c.get('/plain').text == 'done'


def test_an_async_handler_returning_a_generator_streams_and_a_forgotten_await_is_500():
    """Microdot's streaming idiom (an async handler returns ``generate()``)
    streams; an async handler returning a coroutine it did not await is a
    500 on both interpreters, not a 200 with an empty body on a board."""
    import asyncio
    app = make_app()

    async def fetch():
        await asyncio.sleep(0)
        return {'temp': 21.5}

    async def fetch_now():
        return {'temp': 20}

    async def generate():
        await asyncio.sleep(0)
        yield 'a'
        yield 'b'

    def nothing():
        return
        yield

    @app.get('/forgot')
    async def forgot(request):
        return fetch()

    @app.get('/forgot-now')
    async def forgot_now(request):
        return fetch_now()

    @app.get('/stream')
    async def stream(request):
        return generate()

    @app.get('/empty')
    async def empty(request):
        return nothing()

    @app.get('/awaited')
    async def awaited(request):
        return await fetch()

    c = TestClient(app)
    for path in ('/forgot', '/forgot-now'):
        r = c.get(path)
        assert r.status_code == 500 and r.text == 'Internal Server Error', (path, r.text)
    assert c.get('/stream').text == 'ab'
    r = c.get('/empty')
    assert r.status_code == 200 and r.body == b''
    assert c.get('/awaited').json() == {'temp': 21.5}


def test_unsupported_return_value_is_500_without_traceback():
    app = make_app()

    @app.get('/bad')
    async def bad(request):
        return object()

    r = TestClient(app).get('/bad')
    assert r.status_code == 500 and r.text == 'Internal Server Error'


def test_debug_shows_traceback():
    app = make_app(debug=True)

    @app.get('/boom')
    async def boom(request):
        raise KeyError('deep-secret-detail')

    r = TestClient(app).get('/boom')
    assert r.status_code == 500 and 'deep-secret-detail' in r.text


def test_errors_as_json_when_asked():
    app = make_app()
    r = TestClient(app).get('/missing', headers={'Accept': 'application/json'})
    assert r.status_code == 404 and r.json() == {'error': 'Not Found', 'status': 404}


def test_cookies_set_and_validated():
    app = make_app()

    @app.get('/set')
    async def set_(request):
        resp = Response('ok')
        resp.set_cookie('a', '1', max_age=60, http_only=True, secure=True, same_site='Strict')
        resp.set_cookie('b', '2')
        return resp

    @app.get('/read')
    async def read(request):
        return request.cookies

    @app.get('/del')
    async def delete(request):
        resp = Response('bye')
        resp.delete_cookie('a')
        return resp

    c = TestClient(app)
    r = c.get('/set')
    cookies = r.headers.getlist('set-cookie')
    assert cookies[0] == 'a=1; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Strict'
    assert cookies[1] == 'b=2; Path=/; SameSite=Lax'
    assert c.get('/read').json() == {'a': '1', 'b': '2'}
    c.get('/del')
    assert c.get('/read').json() == {'b': '2'}
    # every attribute, in its order; a value that is not a str is sent as its str
    resp = Response('x')
    resp.set_cookie('n', 5, path='', domain='example.com', expires='Thu, 01 Jan 1970 00:00:00 GMT',
                    same_site=None, partitioned=True)
    resp.set_cookie('t', 'v' * 300, max_age=0, same_site='none', secure=True)
    assert resp.headers.getlist('Set-Cookie') == [
        'n=5; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Partitioned',
        't=' + 'v' * 300 + '; Path=/; Max-Age=0; Secure; SameSite=None']
    resp = Response('x')
    raises(ValueError, resp.set_cookie, 'a', 'x\r\nSet-Cookie: evil=1')
    # the character named: a control one first, then the forbidden ones in their order
    for value, bad in (('x;y,z', ';'), ('x,y;z', ';'), ('a"b', '"'), ('é;\x7f', '\x7f'),
                       ('a\\b,', ','), ('x\ty;', '\t')):
        try:
            resp.set_cookie('a', value)
        except ValueError as exc:
            assert str(exc) == 'invalid character %r in cookie value' % bad, (value, str(exc))
        else:
            raise AssertionError('accepted %r' % value)
    for name, bad in (('a b', ' '), ('a=b', '='), ('a(b)', '(')):
        try:
            resp.set_cookie(name, 'x')
        except ValueError as exc:
            assert str(exc) == 'invalid character %r in cookie name' % bad, (name, str(exc))
        else:
            raise AssertionError('accepted %r' % name)
    raises(ValueError, resp.set_cookie, 'a', 'x;y')
    raises(ValueError, resp.set_cookie, 'a b', 'x')
    raises(ValueError, resp.set_cookie, 'a', 'x', same_site='None')
    raises(ValueError, resp.set_cookie, 'a', 'x', same_site='Sideways')


def test_redirect_and_abort():
    app = make_app()

    @app.get('/r')
    async def to_target(request):
        return redirect('/target', 303)

    @app.get('/a')
    async def a(request):
        abort(403, 'go away')

    c = TestClient(app)
    r = c.get('/r')
    assert (r.status_code, r.headers['location']) == (303, '/target')
    r = c.get('/a')
    assert (r.status_code, r.text) == (403, 'go away')
    raises(ValueError, redirect, '/x\r\nSet-Cookie: a=b')


def test_header_injection_in_response_is_500_not_sent():
    app = make_app()

    @app.get('/inject')
    async def inject(request):
        return 'x', 200, {'X-Evil': 'a\r\nSet-Cookie: s=1'}

    r = TestClient(app).get('/inject')
    assert r.status_code == 500 and 'set-cookie' not in r.headers


def test_datastructures():
    h = Headers({'Content-Type': 'text/plain'})
    h.add('Set-Cookie', 'a=1')
    h.add('set-cookie', 'b=2')
    assert h['content-type'] == 'text/plain' and h.getlist('SET-COOKIE') == ['a=1', 'b=2']
    h['Content-Type'] = 'x'
    assert h.getlist('content-type') == ['x'] and 'CONTENT-TYPE' in h
    del h['set-cookie']
    assert 'set-cookie' not in h and len(h) == 1
    m = MultiDict([('a', '1'), ('a', '2'), ('b', '3')])
    assert m['a'] == '1' and m.getlist('a') == ['1', '2'] and m.getlist('zz') == []
    assert parse_query('a=1&b=%20x&c').getlist('c') == ['']
    assert unquote('a+b', plus=True) == 'a b' and unquote('%41') == 'A'
    raises(ValueError, unquote, '%4')
    assert parse_cookies('a=1; junk; =x; b=2') == {'a': '1', 'b': '2'}


def test_http_error_str():
    e = HTTPError(404)
    assert str(e) == '404 Not Found' and e.message == 'Not Found'
    assert HTTPError(431).message == 'Request Header Fields Too Large'
    assert HTTPError(299).message == 'Error'  # no phrase for an unknown code


class _BoardOs:
    """An ``os`` module as on an ESP32 or a Pico: no environ, no getenv."""


class _UnixPortOs:
    """An ``os`` module as on the MicroPython unix port: getenv only."""

    @staticmethod
    def getenv(name):
        return {'PLUGDOT_MAX_BODY_SIZE': '99'}.get(name)


def test_settings_from_the_environment_on_every_kind_of_os():
    from plugdot.config import Config, environ
    declared = [('core', {'max_body_size': (10, 'bytes'), 'debug': (False, 'tracebacks')})]
    board = Config(declared, None, environ(_BoardOs()))
    assert board['max_body_size'] == 10 and board['debug'] is False
    unix = Config(declared, {'debug': True}, environ(_UnixPortOs()))
    assert unix['max_body_size'] == 99 and unix['debug'] is True
    here = environ()  # the real os of whichever interpreter runs this
    assert here('PLUGDOT_NO_SUCH_SETTING') is None


def test_text_is_decoded_as_utf8_and_invalid_utf8_is_a_400():
    """Forms and query strings are UTF-8 (with a 400 for invalid bytes), headers
    Latin-1, alike on CPython and MicroPython (which decodes only UTF-8, and
    lets overlong forms and surrogates through unless plugdot checks)."""
    app = make_app()

    @app.route('/f', methods=['GET', 'POST'])
    async def f(request):
        return {'q': request.query.get('name'), 'form': request.form.get('name'),
                'agent': request.headers.get('user-agent')}

    client = TestClient(app)
    form = {'Content-Type': 'application/x-www-form-urlencoded'}
    r = client.post('/f?name=café', body='name=Zoë', headers=form)
    assert r.json() == {'q': 'café', 'form': 'Zoë', 'agent': None}
    assert client.post('/f', body=b'name=\xff', headers=form).status_code == 400
    for bad in ('%C0%AF', '%E0%80%AF', '%ED%A0%80', '%F4%90%80%80', '%FF', '%C3'):
        assert client.get('/f?name=' + bad).status_code == 400, bad
        assert client.post('/f', body='name=' + bad, headers=form).status_code == 400, bad
    assert client.get('/f?name=%F0%9F%98%80').json()['q'] == '\U0001F600'

    # A header byte outside ASCII is Latin-1 (as ASGI says); a raw query that
    # is not UTF-8 is the client's error.
    scope = client.build_scope('GET', '/f')
    scope['headers'].append((b'user-agent', b'caf\xe9'))
    assert Request(app, scope, None).headers['user-agent'] == 'caf\u00e9'
    scope['query_string'] = b'name=\xc0\xaf'
    assert raises(HTTPError, lambda: Request(app, scope, None).query).status == 400


def test_strict_utf8_decoder():
    from plugdot._compat import latin1, utf8
    for bad in (b'\xc0\xaf', b'\xc1\xbf', b'\xe0\x9f\xbf', b'\xed\xa0\x80', b'\xed\xbf\xbf',
                b'\xf0\x8f\xbf\xbf', b'\xf4\x90\x80\x80', b'\xf5\x80\x80\x80', b'\xff', b'\x80',
                b'a\xe2\x82'):
        raises(ValueError, utf8, bad)
    for good in ('', 'plain', 'caf\u00e9', '\u20ac', '\ud7ff', '\ue000', '\U0001F600', '\U0010FFFF'):
        assert utf8(good.encode('utf-8')) == good
    assert latin1(b'caf\xe9 \xff') == 'caf\u00e9 \u00ff' and latin1(b'ascii') == 'ascii'


def _drive(app, headers, messages, method='POST'):
    """Run one request through the app's ASGI callable with *messages* as
    what receive() returns (a test fails if the app asks for more); return
    ``(status, body, how many messages it read)``."""
    import asyncio
    sent, given = [], []

    async def receive():
        if len(given) == len(messages):
            raise AssertionError('the app asked for more than the client sent')
        given.append(1)
        return messages[len(given) - 1]

    async def send(message):
        sent.append(message)
    scope = {'type': 'http', 'method': method, 'path': '/up', 'query_string': b'',
             'headers': headers, 'http_version': '1.1', 'scheme': 'http'}
    asyncio.run(app(scope, receive, send))
    return sent[0]['status'], b''.join(m.get('body', b'') for m in sent[1:]), len(given)


def test_a_body_in_parts_and_its_limits():
    app = make_app(max_body_size=10)

    @app.post('/up')
    async def up(request):
        return request.body

    def part(body, more):
        return {'type': 'http.request', 'body': body, 'more_body': more}
    assert _drive(app, [], [part(b'abc', True), part(b'', True), part(b'def', False)]) == \
        (200, b'abcdef', 3)
    assert _drive(app, [(b'content-length', b'6')], [part(b'abcdef', False)]) == (200, b'abcdef', 1)
    assert _drive(app, [], [part(b'x' * 6, True), part(b'x' * 6, False)])[0] == 413
    assert _drive(app, [], [part(b'x' * 11, False)])[0] == 413
    # declared too large: refused before anything is read (no 100 Continue)
    status, _, read = _drive(app, [(b'content-length', b'11')], [])
    assert (status, read) == (413, 0)
    # not ASCII digits (a superscript two in Latin-1): a 400, not a 500
    assert _drive(app, [(b'content-length', b'\xb2')], [])[0] == 400
    assert _drive(app, [(b'content-length', b'1x')], [])[0] == 400
    assert _drive(app, [], [{'type': 'http.disconnect'}])[0] == 400


def test_load_body_refuses_a_declared_length_before_reading():
    app = make_app(max_body_size=100)

    @app.post('/up', stream=True)
    async def up(request):
        return await request.load_body(5)

    part = {'type': 'http.request', 'body': b'abc', 'more_body': False}
    assert _drive(app, [(b'content-length', b'3')], [part]) == (200, b'abc', 1)
    status, _, read = _drive(app, [(b'content-length', b'9')], [])
    assert (status, read) == (413, 0)


def test_content_type_and_length_from_the_raw_headers():
    app = make_app()
    seen = {}

    @app.post('/up')
    async def up(request):
        seen['type'], seen['length'] = request.content_type, request.content_length
        return request.form.get('a', '-')

    headers = [(b'content-type', b'Application/X-WWW-Form-Urlencoded; charset=utf-8'),
               (b'content-type', b'text/plain'), (b'content-length', b'3')]
    assert _drive(app, headers, [{'type': 'http.request', 'body': b'a=1'}]) == (200, b'1', 1)
    assert seen == {'type': 'application/x-www-form-urlencoded', 'length': 3}
    # a Request built by hand, never scanned, reads them from the headers
    request = Request(app, {'method': 'POST', 'path': '/', 'headers': headers}, None)
    assert (request.content_type, request.content_length) == \
        ('application/x-www-form-urlencoded', 3)


def test_files_of_a_multipart_body_without_an_uploads_plugin_say_what_to_install():
    app = make_app()   # no plugins: nothing parses multipart

    @app.post('/up')
    async def up(request):
        return {'files': len(request.files)}

    @app.errorhandler(RuntimeError)
    async def explain(request, error):
        return str(error), 500

    client = TestClient(app)
    r = client.post('/up', files={'doc': ('a.txt', b'abc', 'text/plain')})
    assert r.status_code == 500 and 'install plugdot-uploads' in r.text, r.text
    assert client.post('/up', json={'a': 1}).json() == {'files': 0}
    assert client.post('/up', form={'a': '1'}).json() == {'files': 0}
