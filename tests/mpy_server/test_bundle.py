"""`plugdot bundle`: bundles made by the real command, run under the real
MicroPython unix port with a small heap, exercised from CPython clients."""
import os
import re
import shutil
import subprocess
import sys

import httpx
import pytest
from board_support import (below_the_heap_it_needs, bundle, files_of, run_board,
                           too_small_is_one_line)
from support import ROOT, build_micropython, free_port, wait_for_port
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

HELLO = '''
import gc

from plugdot import App

app = App()
# gc.threshold is MicroPython's (None when the bundler imports this on CPython)
LOADING = getattr(gc, 'threshold', lambda: None)()


@app.get('/gc')
async def gc_threshold(request):
    import sys  # the ASGI lifespan of other apps: never loaded for a plugdot App
    return {'loading': LOADING, 'serving': gc.threshold(),
            'lifespan': 'plugdot_mpy_server.lifespan' in sys.modules}


@app.get('/')
async def index(request):
    return 'Hello, board!'


@app.get('/users/<int:id>')
async def user(request, id):
    return {'id': id}
'''
# HELLO without the installed plugins on CPython too: what --no-plugins
# bundles, so that --check finds no route of a left-out plugin (healthz...).
HELLO_BARE = HELLO.replace('app = App()', 'app = App(plugins=[])')

FULL = '''
from plugdot import App, methods
from plugdot_websocket import with_websocket


class Board(App):
    async def greet(self, name='Guest', times=1):
        return ' '.join(['Hello ' + name] * int(times))

    @methods('POST')
    async def login(self, user):
        self.request.session['user'] = user
        return 'ok'

    async def me(self):
        return {'user': self.request.session.get('user')}

    async def add(self, a: int, b: int, scale: float = 1.0):
        return {'sum': (a + b) * scale}


app = Board(config={'secret_key': 'board-secret-0123456789abcdef0123'})


@app.route('/ws')
@with_websocket
async def echo(request, ws):
    async for message in ws:
        await ws.send(message)
'''

CPYTHON_ONLY = ['pluggy', 'plugdot/cli', 'plugdot/serve', 'plugdot/testing', 'plugdot/_discovery',
                'plugdot_mpy_server/bundle', 'plugdot_sessions/redis', 'jwt']


def test_hello_bundle_has_exactly_what_it_needs_and_serves(tmp_path, micropython_exe):
    out, report = bundle(tmp_path, 'hello', HELLO, '--no-plugins')
    files = files_of(out)
    assert 'main.py' in files and 'manifest.py' in files and 'plugdot_bundled.mpy' in files
    assert 'hello.mpy' in files and 'plugdot/__init__.mpy' in files
    assert 'plugdot_mpy_server/__init__.mpy' in files
    assert not [f for f in files if f.endswith('.py') and f not in ('main.py', 'manifest.py')]
    # what the board loads at start is one module per package; bundle.map says where each
    # installed source file is in it; what loads on first use stays a module of its own
    merged = (out / 'bundle.map').read_text()
    for module in ('plugdot/app.py', 'plugdot/request.py', 'plugdot_mpy_server/server.py'):
        assert module in merged and module[:-3] + '.mpy' not in files, module
    for lazy in ('chunked', 'lifespan'):  # loaded on first use: files of their own
        assert 'plugdot_mpy_server/%s.mpy' % lazy in files
        assert not re.search(r'^\S+ \d+-\d+ \S*%s' % lazy, merged, re.M)  # not merged
    # on-demand parts of the core this decorator-style app does not use stay out
    for banned in CPYTHON_ONLY + ['plugdot_mpy_server/wsserver', 'plugdot_sessions',
                                  'plugdot/_class_routes', 'plugdot/_mount', 'plugdot/files',
                                  'plugdot/_app_hooks']:
        assert not [f for f in files if f.startswith(banned)], banned
    total = [line for line in report.splitlines() if line.startswith('total')][0].split()
    assert int(total[2]) == sum((out / f).stat().st_size for f in files
                                if f.endswith('.mpy') or f == 'main.py')
    # Too small a heap: main.py says so in one line and exits, no traceback.
    done = subprocess.run([micropython_exe, '-X', 'heapsize=48k', 'main.py'], cwd=out,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and 'Traceback' not in done.stdout + done.stderr
    assert 'plugdot: MemoryError while loading the app' in done.stdout
    proc, url = run_board(micropython_exe, out, '192k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            for i in range(100):
                assert c.get('/users/%d' % i).json() == {'id': i}
            assert c.get('/').text == 'Hello, board!'
            # main.py collects often while the bundle loads, then restores the threshold
            assert c.get('/gc').json() == {'loading': 2048, 'serving': -1, 'lifespan': False}
    finally:
        proc.kill()
        proc.wait(5)


def test_a_heap_too_small_to_serve_is_one_line_at_every_size(tmp_path, micropython_exe):
    """From .mpy files: below the heap the app serves in, whatever runs out
    (importing, the server's set-up, the app's startup), one line and exit 1."""
    out, _ = bundle(tmp_path, 'hello', HELLO + STARTUP, '--no-plugins')
    runs = below_the_heap_it_needs(micropython_exe, out, low=24)
    assert len(runs) > 3 and too_small_is_one_line(runs) == [], runs


# A startup hook that allocates: a MemoryError in it reaches the server as
# 'lifespan startup failed: MemoryError ...'
STARTUP = """
TABLE = []


@app.on_startup
async def warm_up():
    TABLE.extend(bytearray(64) for _ in range(40))
"""


def test_bundle_with_sessions_websocket_and_a_third_party_plugin(tmp_path, micropython_exe):
    out, report = bundle(tmp_path, 'full', FULL, '--plugin', 'sessions', '--plugin', 'websocket',
                         '--plugin', 'request_id')
    files = files_of(out)
    for package in ('plugdot_sessions/', 'plugdot_websocket/', 'plugdot_request_id/'):
        assert [f for f in files if f.startswith(package)], package
    merged = (out / 'bundle.map').read_text()
    # what the board loads before serving is merged (which plugin modules are depends on
    # what each plugin imports at load); a merged module is no file of its own
    rows = [line.split() for line in merged.splitlines() if not line.startswith(('#', 'def '))]
    sources = [row[2] for row in rows]
    assert 'plugdot_mpy_server/server.py' in sources
    # the board's WebSocket server side comes with the plugin: merged or a file of its own
    assert ('plugdot_mpy_server/wsserver.py' in sources
            or 'plugdot_mpy_server/wsserver.mpy' in files)
    for _, _, source, _ in rows:
        assert source.endswith('__init__.py') or source[:-3] + '.mpy' not in files, source
    # merged, or a module of its own when merging would change a name (the bundler says why)
    assert 'plugdot/_class_routes.py' in merged or ('plugdot/_class_routes.mpy' in files and
                                                   'plugdot._class_routes stays a module' in report)
    for banned in CPYTHON_ONLY:
        assert not [f for f in files if f.startswith(banned)], banned
    # A board may carry another `jwt` module (micropython-lib's, for Microdot):
    # sessions must keep to their own HS256 there, never call it as PyJWT.
    (out / 'jwt.py').write_text("def encode(*a, **k):\n    raise RuntimeError('not PyJWT')\n"
                                "decode = encode\n")
    proc, url = run_board(micropython_exe, out, '320k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            r = c.get('/greet', params={'name': 'Ann', 'times': '2'})  # names bound on the board
            assert r.text == 'Hello Ann Hello Ann' and len(r.headers['x-request-id']) == 16
            assert c.get('/greet/Bob').text == 'Hello Bob'
            # annotations recorded at bundle time: MicroPython keeps none
            assert c.get('/add/2/3').json() == {'sum': 5.0}
            assert c.get('/add/2/3', params={'scale': '0.5'}).json() == {'sum': 2.5}
            assert c.get('/add/2/x').status_code == 400
            assert c.post('/login', data={'user': 'ann'}).text == 'ok'
            assert c.get('/me').json() == {'user': 'ann'}  # the session cookie, signed on the board
            assert c.post('/login').status_code == 400
            # a chunked body: the bundled decoder is loaded on the board for it
            form = {'content-type': 'application/x-www-form-urlencoded'}
            r = c.post('/login', content=iter([b'user=', b'bob']), headers=form)
            assert 'chunked' in r.request.headers['transfer-encoding'] and r.text == 'ok'
            assert c.get('/me').json() == {'user': 'bob'}
        with connect(url.replace('http', 'ws') + '/ws', open_timeout=5) as ws:
            ws.send('over the air')
            assert ws.recv(timeout=5) == 'over the air'
        with pytest.raises(InvalidStatus) as refused:  # no such route: the real status
            connect(url.replace('http', 'ws') + '/nowhere', open_timeout=5)
        assert refused.value.response.status_code == 404
    finally:
        proc.kill()
        proc.wait(5)


@pytest.mark.timeout(600)  # builds the firmware: ~40 s on two cores, more on a busy machine
def test_frozen_firmware_boots_and_serves(tmp_path):
    """The bundle's manifest.py as the FROZEN_MANIFEST of a 32-bit unix port:
    with only main.py beside it, the firmware serves sessions and a WebSocket
    in a heap the same app loaded from .mpy files could not start in."""
    out, _ = bundle(tmp_path, 'full', FULL, '--plugin', 'sessions', '--plugin', 'websocket')
    firmware = build_micropython(out / 'manifest.py')
    board = tmp_path / 'flash'
    board.mkdir()
    shutil.copy(out / 'main.py', board / 'main.py')
    proc, url = run_board(firmware, board, '64k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            assert c.get('/greet', params={'name': 'Ann'}).text == 'Hello Ann'
            assert c.post('/login', data={'user': 'ann'}).text == 'ok'
            assert c.get('/me').json() == {'user': 'ann'}
        with connect(url.replace('http', 'ws') + '/ws', open_timeout=5) as ws:
            ws.send('frozen')
            assert ws.recv(timeout=5) == 'frozen'
    finally:
        proc.kill()
        proc.wait(5)
    # Every heap too small to serve: one line and exit status 1 (trial 14: at 1-3 KB below
    # the heap that serves, a traceback from run(), from the app's startup, or exit 0 silently)
    runs = below_the_heap_it_needs(firmware, board, step=2)
    assert len(runs) > 3 and too_small_is_one_line(runs) == [], runs
    done = subprocess.run([build_micropython(), '-X', 'heapsize=64k', 'main.py'], cwd=out,
                          capture_output=True, text=True, timeout=30)
    assert 'MemoryError while loading the app' in done.stdout, done.stdout + done.stderr


FILES = (HELLO + """

@app.get('/file')
async def a_file(request):
    return send_file('static.txt', content_type='text/plain')

sub = App()

@sub.get('/ping')
async def ping(request):
    return 'pong from ' + request.route_path

app.mount(sub, '/sub')


@sub.after_request
def tag(request, response):
    response.headers['X-Sub'] = 'yes'
""").replace('from plugdot import App', 'from plugdot import App, send_file')


def test_files_mounts_and_extra_modules_are_bundled_when_used(tmp_path, micropython_exe):
    out, _ = bundle(tmp_path, 'files', FILES, '--no-plugins', '--module', 'plugdot_websocket.broadcast')
    files = files_of(out)
    for used in ('plugdot/files.mpy', 'plugdot_websocket/broadcast.mpy',
                 'plugdot/_app_hooks.mpy'):  # the sub-app's own hook
        assert used in files, used  # loaded on first use: modules of their own
    assert 'plugdot/_mount.py' in (out / 'bundle.map').read_text()  # loaded by app.mount()
    (out / 'static.txt').write_text('served from the board')
    proc, url = run_board(micropython_exe, out, '192k')
    try:
        r = httpx.get(url + '/file', timeout=5)
        assert (r.status_code, r.text) == (200, 'served from the board')
        r = httpx.get(url + '/sub/ping', timeout=5)
        assert (r.text, r.headers.get('x-sub')) == ('pong from /ping', 'yes')
    finally:
        proc.kill()
        proc.wait(5)


def test_check_option_and_errors(tmp_path):
    out, report = bundle(tmp_path, 'hello', HELLO_BARE, '--no-plugins', '--check', '--heap', '384k',
                         '--source')
    assert 'pass GET / -> 200' in report and 'check: passed' in report and 'heap in use' in report
    assert 'pass the board replays the hook table (no plugin manager loaded)' in report
    assert (out / 'plugdot' / 'app.py').exists()  # --source keeps .py
    # Neither the plugin manager, the hook specs nor the pluggy stand-in is bundled.
    assert not any((out / 'plugdot' / name).exists()
                   for name in ('plugins.py', 'hookspecs.py', '_hooks.py'))
    app_file = tmp_path / 'x.py'
    app_file.write_text(HELLO)
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'x'), '--plugin', 'no_such_plugin'], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and 'no_such_plugin' in done.stderr
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'x'), '--module', 'no_pkg.thing'], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "cannot find the source of module 'no_pkg.thing'" in done.stderr
    assert 'Traceback' not in done.stderr


def test_check_reports_failure_when_the_heap_is_too_small(tmp_path):
    app_file = tmp_path / 'tiny.py'
    app_file.write_text(HELLO)
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'tiny'), '--check', '--heap', '32k'], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'check: FAILED with a heap of 32k' in done.stdout
    assert 'MemoryError' in done.stdout and (tmp_path / 'tiny' / 'main.py').exists()
    assert 'Traceback' not in done.stdout + done.stderr


@pytest.mark.timeout(300)  # about six runs of the bundle
def test_check_finds_the_heap_the_app_needs(tmp_path, micropython_exe):
    """Without --heap, --check searches for the smallest heap that serves and
    says it in one line; the bundle then really starts in that heap."""
    app_file = tmp_path / 'hello.py'
    app_file.write_text(HELLO_BARE)
    out = tmp_path / 'hello'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(out), '--no-plugins', '--check', '--micropython', micropython_exe], cwd=ROOT,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0 and 'Traceback' not in done.stdout + done.stderr, done.stdout
    needed = re.search(r'check: passed; heap needed: (\d+) KB', done.stdout)
    assert needed and 16 < int(needed.group(1)) < 384, done.stdout
    # In that heap, a browser's request is answered too (trial 13: the heap
    # reported for bare GETs dropped a Chrome-like head of ~650 bytes).
    import urllib.request
    from plugdot_mpy_server.bundle import BROWSER_HEADERS
    proc, url = run_board(micropython_exe, out, '%sk' % needed.group(1))
    try:
        for _ in range(3):
            browser = urllib.request.Request(url + '/', headers=BROWSER_HEADERS)
            with urllib.request.urlopen(browser, timeout=5) as r:
                assert r.read() == b'Hello, board!'
    finally:
        proc.kill()
        proc.wait(5)


STREAMING = '''
import asyncio
from plugdot import App
app = App(plugins=[])

@app.get('/')
async def index(request):
    return 'Hello'

@app.get('/ticks')
async def ticks(request):
    async def forever():
        while True:
            yield 'tick\\n'
            await asyncio.sleep(0.5)
    return forever()
'''


def test_check_cuts_an_endless_stream_and_takes_a_command_name(tmp_path):
    # The outside-in trial: --check read an endless stream for ever (any SSE
    # app), and refused `--micropython micropython` though it was on PATH.
    app_file = tmp_path / 'streaming.py'
    app_file.write_text(STREAMING)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'out'), '--check', '--heap', '384k',
                           '--micropython', 'micropython'], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'pass GET /ticks -> 200' in done.stdout and 'check: passed' in done.stdout
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'out'), '--check', '--micropython', 'no-such-port'],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and '--micropython no-such-port: no such file' in done.stderr
    assert 'Traceback' not in done.stderr


def test_an_app_that_ends_with_app_run_bundles_and_serves(tmp_path, micropython_exe):
    # Microdot's apps end with a module-level `app.run(...)`: `plugdot bundle`
    # hung in it (hypercorn started while the app was imported), and on the
    # board it was an ImportError (plugdot.serve was not bundled).
    # Its debug=True is Microdot's console diagnostics on a board (trial 14: every
    # client of a 500 got the traceback); the debug setting itself is warned about.
    port = free_port()
    app_file = tmp_path / 'runs.py'
    app_file.write_text(HELLO + BOOM + '\napp.run(host="127.0.0.1", port=%d, debug=True)\n' % port)
    out = tmp_path / 'runs'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(out), '--no-plugins', '--source'], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'debug' not in done.stdout  # run(debug=True) sends no traceback from a board
    proc = subprocess.Popen([micropython_exe, '-X', 'heapsize=512k', 'main.py'], cwd=out,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        assert httpx.get('http://127.0.0.1:%d/' % port, timeout=5).text == 'Hello, board!'
        boom = httpx.get('http://127.0.0.1:%d/boom' % port, timeout=5)
        assert boom.status_code == 500 and 'secret detail' not in boom.text
    finally:
        proc.kill()
        proc.wait(5)
    assert 'RuntimeError: secret detail' in proc.stdout.read().decode()  # on the console
    # the debug setting turned on in the app: one line naming the place and the fix
    for turned_on in ("App(config={'debug': True})", "App()\napp.config['debug'] = True"):
        _, shown = bundle(tmp_path, 'debugging', HELLO.replace('App()', turned_on),
                          '--no-plugins', '--source')
        assert re.search(r"warning: debugging.py line \d+: the debug setting is on: on the "
                         r"board every client of a 500 gets its traceback; leave it off in the "
                         r"app and turn it on where you develop \(PLUGDOT_DEBUG=1\)", shown), shown


BOOM = """

@app.get('/boom')
async def boom(request):
    raise RuntimeError('secret detail')
"""


WEBSOCKET = '''
from plugdot import App
from plugdot_websocket import with_websocket
app = App(plugins=['websocket'])

@app.get('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        await ws.send(await ws.receive())
'''


def test_check_opens_the_websockets_of_the_app(tmp_path):
    # The outside-in trial: --check got a 426 from the WebSocket route and
    # reported a heap in which no upgrade then succeeded.
    app_file = tmp_path / 'wsapp.py'
    app_file.write_text(WEBSOCKET)
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'out'), '--plugin', 'websocket', '--check', '--heap',
                           '512k'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'pass GET /echo -> 101' in done.stdout


def test_a_bad_setting_on_the_board_is_one_line(tmp_path, micropython_exe):
    out, _ = bundle(tmp_path, 'hello', HELLO, '--no-plugins', '--source')
    done = subprocess.run([micropython_exe, 'main.py'], cwd=out, capture_output=True, text=True,
                          timeout=30, env=dict(os.environ, PLUGDOT_MAX_BODY_SIZE='abc'))
    assert done.returncode == 1
    assert done.stdout.strip() == "plugdot: PLUGDOT_MAX_BODY_SIZE: expected an integer, got 'abc'"
    assert 'Traceback' not in done.stdout + done.stderr


DYNAMIC_ATTRIBUTE = '''
from plugdot import App
app = App(plugins=[])


@app.get('/one/<name>')
async def one(request, name):
    return str(getattr(request, name))  # a name built at run time: the shaker cannot see it
'''


def test_an_attribute_the_bundle_left_out_names_the_fix(tmp_path, micropython_exe):
    # Trial 13: the board's error blamed plugins only. It names --keep now,
    # and --keep brings the attribute back.
    for keep in ((), ('--keep', 'cookies')):
        out, _ = bundle(tmp_path, 'dynamic' + str(len(keep)), DYNAMIC_ATTRIBUTE, '--no-plugins', *keep)
        proc, url = run_board(micropython_exe, out, '192k')
        try:
            r = httpx.get(url + '/one/cookies', headers={'cookie': 'a=1'}, timeout=5)
            assert httpx.get(url + '/one/method', timeout=5).text == 'GET'
        finally:
            proc.kill()
            log = proc.communicate(timeout=5)[0].decode()
        if keep:
            assert (r.status_code, r.text) == (200, "{'a': '1'}"), log
        else:
            assert r.status_code == 500
            assert "no attribute 'cookies'" in log and '`plugdot bundle --keep NAME`' in log, log


SENDS_FILES = '''from plugdot import App, send_file

app = App(plugins=[], config={'max_body_size': 1024 * 1024})
COMPUTED = 'computed' + '.html'


@app.get('/')
async def index(request):
    return send_file('page.html')


@app.get('/computed')
async def computed(request):
    return send_file(COMPUTED)  # a name the bundler cannot read


@app.get('/gone')
async def gone(request):
    return send_file('gone.html')


@app.get('/boom')
async def boom(request):
    raise RuntimeError('secret detail')
'''


def test_check_runs_in_the_bundle_and_the_files_the_app_sends_are_shipped(tmp_path,
                                                                         micropython_exe):
    """Trial 14: --check ran the bundle in the caller's folder, so a route
    that send_file()s a page beside the app passed there and answered 404
    on the board, which has only the bundle."""
    (tmp_path / 'page.html').write_text('<h1>the page</h1>')
    (tmp_path / 'computed.html').write_text('found by a name made at run time')
    out, shown = bundle(tmp_path, 'sends', SENDS_FILES, '--no-plugins', '--check', '--heap',
                        '384k', '--micropython', micropython_exe, ok=False, cwd=tmp_path)
    assert (out / 'page.html').read_text() == '<h1>the page</h1>'
    assert 'app file copied: page.html (sends.py line 9: send_file(\'page.html\'))' in shown
    assert ("warning: sends.py line 19: send_file('gone.html'): no such file beside sends.py "
            "or in the current folder") in shown, shown
    assert 'pass GET / -> 200' in shown
    # in the bundle's folder, as on the board: the file is beside the app, not in the bundle
    assert 'FAIL GET /computed -> 404' in shown and 'FAIL GET /gone -> 404' in shown
    assert 'check: FAILED' in shown and not (out / 'computed.html').exists()
    # the app's body limit above the board server's: said at bundle time, and by the 413
    assert ("warning: sends.py line 3: max_body_size 1048576 is above the board server's body "
            "limit (16384 bytes, Limits.max_body_size)") in shown
    assert 'run(limits=Limits(max_body_size=1048576))' in shown
    proc, url = run_board(micropython_exe, out, '192k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            assert c.get('/').text == '<h1>the page</h1>'
            big = c.post('/', content=b'x' * 20000)
            assert big.status_code == 413
            assert 'server limit Limits.max_body_size (16384 bytes)' in big.text, big.text
    finally:
        proc.kill()
        proc.wait(5)
