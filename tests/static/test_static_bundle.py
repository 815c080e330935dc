"""`plugdot bundle --static DIR`: the assets go into the bundle gzipped with
content-hashed names and a manifest behind static_url(); the bundle runs
under the real MicroPython unix port, sends the .gz to clients that accept
gzip and inflates it for the others; Chromium renders the page from it."""
import gzip
import os
import subprocess
import sys
import time

import httpx
from browser import Browser
from support import ROOT, free_port, micropython, start_server, stop
from test_static_browser import CHECK
from test_static_servers import HERE

APP = '''
from plugdot import App
from plugdot_static import StaticFiles, static_url

app = App(config={'cors_allowed_origins': ['https://app.example.com']})
app.mount(StaticFiles('static'), '/static')


@app.get('/')
async def page(request):
    return ('<!doctype html><link rel="stylesheet" href="%s"><div id="box">box</div>'
            '<img id="logo" src="%s"><script src="%s"></script>'
            % (static_url('style.css'), static_url('logo.png'), static_url('app.js')))
'''


def test_bundle_ships_hashed_gzipped_assets_and_the_board_serves_them(tmp_path):
    app_file = tmp_path / 'site.py'
    app_file.write_text(APP)
    out = tmp_path / 'board'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o', str(out),
                           '--plugin', 'static', '--plugin', 'cors', '--static', str(HERE / 'site')],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in (out / 'static').iterdir())
    assert len(names) == 3 and not [n for n in names if n.startswith('style.css')]
    css_gz = [n for n in names if n.startswith('style.') and n.endswith('.css.gz')]
    assert css_gz and [n for n in names if n.startswith('logo.') and n.endswith('.png')]
    assert (out / 'plugdot_static_manifest.mpy').exists()
    assert 'plugdot_static_manifest.mpy' in done.stdout
    css = (HERE / 'site' / 'style.css').read_bytes()
    assert gzip.decompress((out / 'static' / css_gz[0]).read_bytes()) == css

    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    proc = start_server([micropython(), '-X', 'heapsize=256k', 'main.py'], port, cwd=out, env=env)
    try:
        base = 'http://127.0.0.1:%d' % port
        page = httpx.get(base + '/', timeout=5).text
        url = '/static/' + css_gz[0][:-3]
        assert url in page
        raw = httpx.get(base + url, headers={'Accept-Encoding': 'gzip'}, timeout=5)
        assert raw.headers['content-encoding'] == 'gzip' and raw.content == css  # httpx inflates
        assert raw.headers['cache-control'] == 'public, max-age=31536000, immutable'
        assert raw.headers['vary'] == 'Accept-Encoding, Origin'
        plain = httpx.get(base + url, headers={'Accept-Encoding': 'identity'}, timeout=5)
        assert 'content-encoding' not in plain.headers and plain.content == css
        assert plain.headers['content-length'] == str(len(css))
        assert plain.headers['content-type'] == 'text/css; charset=utf-8'
        etag = raw.headers['etag']
        again = httpx.get(base + url, headers={'Accept-Encoding': 'gzip', 'If-None-Match': etag},
                          timeout=5)
        assert again.status_code == 304
        # plugdot-cors in the same bundle: the hook table replayed on the board
        origin = {'Origin': 'https://app.example.com'}
        r = httpx.options(base + url, headers=dict(origin, **{'Access-Control-Request-Method': 'GET'}),
                          timeout=5)
        assert r.status_code == 204 and r.headers['access-control-allow-origin'] == origin['Origin']
        r = httpx.get(base + url, headers=dict(origin, **{'Accept-Encoding': 'gzip'}), timeout=5)
        assert r.headers['access-control-allow-origin'] == origin['Origin']
        assert r.headers['vary'] == 'Accept-Encoding, Origin'
        r = httpx.post(base + url, headers={'Origin': 'https://evil.example'}, timeout=5)
        assert r.status_code == 405 and 'access-control-allow-origin' not in r.headers
        with Browser() as tools:
            tools.call('Page.navigate', url=base + '/')
            deadline = time.monotonic() + 15
            seen = None
            while time.monotonic() < deadline and seen != ['77px', 'rgb(1, 2, 3)', 'ran', 24]:
                seen = tools.evaluate(CHECK)
                time.sleep(0.1)
            assert seen == ['77px', 'rgb(1, 2, 3)', 'ran', 24]
    finally:
        stop(proc)


def test_bundle_static_without_a_folder_is_a_clear_error(tmp_path):
    app_file = tmp_path / 'site.py'
    app_file.write_text(APP)
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'out'), '--plugin', 'static', '--static', str(tmp_path / 'nope')],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'not a folder' in done.stderr and 'Traceback' not in done.stderr


# Microdot's static example, ported as a maker writes it: plain HTML pages that
# link assets by their own names, a folder index, a page sent with send_file,
# and a single-page app's fallback.
MICRODOT_STATIC = '''
from plugdot import App, send_file
from plugdot_static import StaticFiles

app = App(plugins=['static'])
app.mount(StaticFiles('static'), '/static')
app.mount(StaticFiles('static', fallback='index.html'), '/spa')


@app.get('/')
async def index(request):
    return send_file('static/index.html')
'''
PAGE = (b'<!doctype html><link rel="stylesheet" href="/static/index.css">'
        b'<img src="/static/logo.png"><h1>board</h1>')
PATHS = ['/', '/static/', '/static/index.html', '/static/index.css', '/static/logo.png',
         '/spa/settings/wifi', '/static/sub/', '/static/sub/page.htm']


def test_pages_and_asset_names_of_a_static_bundle_answer_as_on_cpython(tmp_path, monkeypatch,
                                                                        micropython_exe):
    """Trial 14: with --static, index.html was hashed too, so a folder's
    index, the fallback, send_file('static/index.html') and every unhashed
    link of a plain HTML page answered 404 on the board (200 on CPython)."""
    from plugdot.testing import TestClient
    site = tmp_path / 'static'
    (site / 'sub').mkdir(parents=True)
    (site / 'index.html').write_bytes(PAGE)
    (site / 'index.css').write_bytes(b'h1 { color: rgb(1, 2, 3) }\n' * 20)
    (site / 'logo.png').write_bytes(bytes(range(256)) * 4)
    (site / 'sub' / 'page.htm').write_bytes(b'<p>sub page</p>')
    (site / 'sub' / 'index.html').write_bytes(b'<p>sub index</p>')
    app_file = tmp_path / 'microsite.py'
    app_file.write_text(MICRODOT_STATIC)
    monkeypatch.chdir(tmp_path)  # on CPython the app's relative names are the current folder's
    from plugdot.cli import load_app
    cpython = TestClient(load_app(str(app_file) + ':app'))
    expected = {path: cpython.get(path) for path in PATHS}
    assert all(r.status_code == 200 for r in expected.values()), expected
    out = tmp_path / 'board'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(out), '--static', str(site), '--check', '--heap', '256k',
                           '--micropython', micropython_exe],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'warning' not in done.stdout, done.stdout
    files = sorted(str(p.relative_to(out / 'static')) for p in (out / 'static').rglob('*'))
    # pages keep their names (as they are); assets get hashed names
    assert 'index.html' in files and 'sub/page.htm' in files and 'sub/index.html' in files
    assert 'index.css' not in files and [f for f in files if f.startswith('index.')
                                         and f.endswith('.css.gz')]
    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    proc = start_server([micropython_exe, '-X', 'heapsize=256k', 'main.py'], port, cwd=out,
                        env=env)
    try:
        with httpx.Client(base_url='http://127.0.0.1:%d' % port, timeout=5) as c:
            for path in PATHS:
                r = c.get(path)
                assert (r.status_code, r.content) == (200, expected[path].body), path
            # an asset by its own name: no-cache (the name is every version's); by its
            # hashed name (static_url): immutable
            assert c.get('/static/index.css').headers['cache-control'] == 'no-cache'
            assert c.get('/static/').headers['cache-control'] == 'no-cache'
            hashed = [f for f in files if f.startswith('logo.')][0]
            r = c.get('/static/' + hashed)
            assert r.headers['cache-control'] == 'public, max-age=31536000, immutable'
            assert c.get('/static/nowhere.css').status_code == 404
    finally:
        stop(proc)
