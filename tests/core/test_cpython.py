"""Core behaviour that only CPython shows: threads, annotations, env config,
async generators, send_file on the file system."""
import os
import threading
import time

import pytest

from plugdot import App, send_file
from plugdot._given import parse_env_value
from plugdot.testing import TestClient


def make_app(**config):
    return App(config=config or None, plugins=[])


def test_sync_handlers_run_off_the_event_loop():
    app = make_app()
    main_thread = threading.get_ident()

    @app.get('/sync')
    def sync(request):
        time.sleep(0.01)
        return {'off_loop': threading.get_ident() != main_thread}

    @app.get('/async')
    async def async_(request):
        return {'off_loop': threading.get_ident() != main_thread}

    c = TestClient(app)
    assert c.get('/sync').json() == {'off_loop': True}
    assert c.get('/async').json() == {'off_loop': False}


def test_class_annotations_convert_and_reject():
    class Calc(App):
        def add(self, a: int, b: float = 0.5, loud: bool = False):
            return {'r': a + b, 'loud': loud, 'who': self.request.path}

    c = TestClient(Calc(plugins=[]))
    assert c.get('/add/2?b=1.5&loud=yes').json() == {'r': 3.5, 'loud': True, 'who': '/add/2'}
    r = c.get('/add/two')
    assert r.status_code == 400 and "'a' must be int" in r.text


def test_async_generator_streaming_and_head():
    app = make_app()
    closed = []

    @app.get('/gen')
    async def gen(request):
        async def chunks():
            try:
                for i in range(3):
                    yield 'chunk%d ' % i
            finally:
                closed.append(True)
        return chunks()

    @app.get('/syncgen')
    def syncgen(request):
        yield 'a'
        yield 'b'

    c = TestClient(app)
    assert c.get('/gen').text == 'chunk0 chunk1 chunk2 '
    assert c.get('/syncgen').text == 'ab'
    r = c.head('/gen')
    assert r.body == b'' and closed == [True]  # HEAD never starts the generator


def test_env_overrides_constructor_config(monkeypatch):
    monkeypatch.setenv('PLUGDOT_DEBUG', 'true')
    monkeypatch.setenv('PLUGDOT_MAX_BODY_SIZE', '123')
    app = App(config={'debug': False, 'max_body_size': 5}, plugins=[])
    assert app.config['debug'] is True and app.config['max_body_size'] == 123
    assert parse_env_value('x', 'a, b,', []) == ['a', 'b']
    with pytest.raises(ValueError, match='boolean'):
        parse_env_value('debug', 'maybe', False)


@pytest.fixture
def site(tmp_path):
    root = tmp_path / 'static'
    root.mkdir()
    (root / 'index.html').write_text('<h1>hi</h1>')
    (root / 'sub').mkdir()
    (root / 'sub' / 'app.js').write_text('console.log(1)')
    (tmp_path / 'secret.txt').write_text('top secret')
    os.symlink(tmp_path / 'secret.txt', root / 'link.txt')
    return root


def test_send_file_headers_and_conditional_requests(site):
    app = make_app()

    @app.get('/static/<path:p>')
    async def static(request, p):
        return send_file(p, root=str(site), max_age=60)

    c = TestClient(app)
    r = c.get('/static/index.html')
    assert r.text == '<h1>hi</h1>' and r.headers['content-type'] == 'text/html; charset=utf-8'
    assert r.headers['content-length'] == '11' and r.headers['cache-control'] == 'max-age=60'
    etag, modified = r.headers['etag'], r.headers['last-modified']
    assert modified.endswith('GMT')
    r = c.get('/static/index.html', headers={'If-None-Match': etag})
    assert r.status_code == 304 and r.body == b''
    assert c.get('/static/index.html', headers={'If-Modified-Since': modified}).status_code == 304
    assert c.get('/static/index.html', headers={'If-None-Match': '"other"'}).status_code == 200
    r = c.head('/static/sub/app.js')
    assert r.body == b'' and r.headers['content-length'] == '14'
    assert r.headers['content-type'].startswith('text/javascript')


@pytest.mark.parametrize('path', ['../secret.txt', 'sub/../../secret.txt', '/etc/passwd',
                                  'link.txt', 'sub', 'missing.html', 'a\\..\\b', '%00'])
def test_send_file_never_escapes_its_root(site, path):
    app = make_app()

    @app.get('/f')
    async def f(request):
        return send_file(request.query['p'], root=str(site))

    r = TestClient(app).get('/f', query={'p': path})
    assert r.status_code == 404 and 'secret' not in r.text


def test_exception_is_logged(caplog):
    app = make_app()

    @app.get('/boom')
    async def boom(request):
        raise RuntimeError('logged-detail')

    r = TestClient(app).get('/boom')
    assert r.status_code == 500 and 'logged-detail' not in r.text
    assert any('logged-detail' in (rec.exc_text or '') or rec.exc_info and
               'logged-detail' in str(rec.exc_info[1]) for rec in caplog.records)


def test_handler_signature_mistakes_are_refused_when_declared():
    from plugdot import App
    app = App(plugins=[])

    async def user(request):
        return 'x'
    with pytest.raises(TypeError) as info:
        app.get('/users/<int:id>')(user)
    assert 'user' in str(info.value) and 'def user(request, id)' in str(info.value)

    async def lenient(request, **args):  # takes any path argument
        return 'x'
    app.get('/things/<int:id>')(lenient)


def test_microdot_style_error_handler_is_accepted_and_a_bad_one_refused():
    from plugdot import App
    from plugdot.testing import TestClient
    app = App(plugins=[])

    @app.errorhandler(404)
    def not_found(request):  # Microdot's spelling
        return {'missing': request.path}, 404

    assert TestClient(app).get('/nope').json() == {'missing': '/nope'}

    def no_args():
        return 'x'
    with pytest.raises(TypeError) as info:
        app.errorhandler(500)(no_args)
    assert 'def no_args(request, error)' in str(info.value)


def test_a_stream_yielding_none_is_an_error_in_the_log(caplog):
    """On a board a None item stalls the response for ever (MicroPython's
    asyncio takes it for a suspension), so CPython refuses it too: the
    mistake shows on the laptop, in the log, with the fix."""
    from plugdot import App
    from plugdot.testing import TestClient
    app = App(plugins=[])

    @app.get('/sync')
    def sync(request):
        yield 'a'
        yield None

    @app.get('/async')
    async def agen(request):
        yield 'a'
        yield None

    for path in ('/sync', '/async'):
        caplog.clear()
        r = TestClient(app).get(path)
        assert r.status_code == 200 and r.body == b'a', (path, r.body)
        assert 'yielded None: yield str or bytes only' in caplog.text, path


def test_a_forgotten_await_is_named(caplog):
    from plugdot import App
    from plugdot.testing import TestClient
    app = App(plugins=[])

    async def load():
        return 'data'

    @app.get('/x')
    async def x(request):
        return load()  # missing await

    r = TestClient(app).get('/x')
    assert r.status_code == 500 and r.body == b'Internal Server Error'
    assert 'handler x returned a coroutine' in caplog.text and '"await"' in caplog.text


def test_a_plain_generator_streams_off_the_event_loop_and_is_closed():
    import asyncio
    app = App(plugins=[])
    closed = []

    @app.get('/slow')
    def slow(request):
        def gen():
            try:
                for i in range(3):
                    time.sleep(0.2)  # blocking, as a sensor read or a file would
                    yield 'x%d ' % i
            finally:
                closed.append(True)
        return gen()

    @app.get('/fast')
    async def fast(request):
        return 'fast'

    @app.get('/endless')
    def endless(request):
        def gen():
            try:
                while True:
                    time.sleep(0.05)
                    yield 'tick '
            finally:
                closed.append('endless')
        return gen()

    client = TestClient(app)

    async def both():
        slow_task = asyncio.ensure_future(client.request_async('GET', '/slow'))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        fast_response = await client.request_async('GET', '/fast')
        fast_took = time.monotonic() - started
        return (await slow_task), fast_response, fast_took
    slow_r, fast_r, fast_took = asyncio.run(both())
    assert slow_r.text == 'x0 x1 x2 ' and fast_r.text == 'fast'
    assert fast_took < 0.3  # not queued behind the generator's 0.6 s of sleeps
    assert closed == [True]
    r = client.get('/endless', disconnect_after=3)
    assert r.text == 'tick tick tick '
    assert closed == [True, 'endless']  # the client left: the generator was closed


def test_a_catch_all_error_handler_still_logs_the_exception(caplog):
    app = App(plugins=[])

    @app.get('/boom')
    async def boom(request):
        raise RuntimeError('the real cause')

    @app.errorhandler(500)
    def crashed(request, error):
        return 'Sorry', 500

    assert TestClient(app).get('/boom').text == 'Sorry'
    assert 'the real cause' in caplog.text and 'Traceback' in caplog.text


def test_error_handlers_that_cannot_take_the_error_are_refused():
    app = App(plugins=[])

    def three(a, b, c):
        return 'x'
    with pytest.raises(TypeError) as info:
        app.errorhandler(404)(three)
    assert 'def three(request, error)' in str(info.value)


def test_a_multipart_body_without_the_uploads_plugin_says_what_to_install(caplog):
    app = App(plugins=[])

    @app.post('/f')
    async def f(request):
        return dict(request.form)

    r = TestClient(app).post('/f', files={'doc': ('a.txt', b'hello')}, data={'x': '1'})
    assert r.status_code == 500
    assert 'install plugdot-uploads' in caplog.text


def test_an_app_with_every_installed_plugin_loads_neither_json_nor_the_board_table():
    # Startup time (bench/startup.py): json (~1.5 ms) loads with the first
    # JSON body or message, the board's hook table only on a board.
    import subprocess
    import sys
    code = ('import asyncio, sys\n'
            '# (a .pth file of the test environment may have loaded json already)\n'
            'for name in [m for m in sys.modules if m == "json" or m.startswith("json.")]:\n'
            '    del sys.modules[name]\n'
            'from plugdot import App; app = App(); '
            'print(",".join(app.list_plugins())); '
            'print(sorted(m for m in ("json", "plugdot._table", "plugdot_websocket.websocket", '
            '"plugdot_templates.response", "plugdot_templates.engine") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.splitlines()
    assert {'cors', 'websocket', 'templates', 'sessions'} <= set(out[0].split(','))
    assert out[1] == '[]'
