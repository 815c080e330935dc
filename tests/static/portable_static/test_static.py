"""plugdot-static through the in-process TestClient (CPython and MicroPython):
resolution, methods, types, validators and 304s, ranges, precompressed
siblings, index and fallback, several roots, refused paths."""
import asyncio

from plugdot import App
from plugdot.testing import TestClient
from plugdot_static import StaticFiles, static_url
from plugdot_static.files import is_hashed
from plugdot_static.response import parse_ranges

HERE = __file__.rpartition('/')[0] or '.'
ASSETS = HERE + '/assets'
ASSETS2 = HERE + '/assets2'
DATA = bytes(i % 251 for i in range(3000))
CSS = 'body { color: #123456; }\n' * 40


def client(**options):
    app = App(plugins=['plugdot_static'])
    app.mount(StaticFiles(ASSETS, ASSETS2, **options), '/static')

    @app.get('/')
    async def index(request):
        return 'app'
    return TestClient(app)


def test_serves_a_file_with_type_length_and_validators():
    r = client().get('/static/app.css')
    assert r.status_code == 200 and r.text == CSS
    assert r.headers['content-type'] == 'text/css; charset=utf-8'
    assert r.headers['content-length'] == str(len(CSS))
    assert r.headers['etag'].startswith('"') and not r.headers['etag'].startswith('W/')
    assert r.headers['last-modified'].endswith(' GMT')
    assert r.headers['cache-control'] == 'no-cache'
    assert r.headers['accept-ranges'] == 'bytes'
    assert r.headers['vary'] == 'Accept-Encoding'  # siblings exist
    assert 'content-encoding' not in r.headers


def test_head_has_the_headers_and_no_body():
    r = client().head('/static/data.bin')
    assert r.status_code == 200 and r.body == b''
    assert r.headers['content-length'] == '3000'
    assert r.headers['content-type'] == 'application/octet-stream'


def test_only_get_and_head():
    c = client()
    for method in ('POST', 'PUT', 'DELETE', 'PATCH'):
        r = c.request(method, '/static/app.css')
        assert r.status_code == 405 and r.headers['allow'] == 'GET, HEAD', method


def test_if_none_match_gives_304_and_wins_over_if_modified_since():
    c = client()
    r = c.get('/static/app.css')
    etag, modified = r.headers['etag'], r.headers['last-modified']
    r = c.get('/static/app.css', headers={'If-None-Match': etag})
    assert r.status_code == 304 and r.body == b'' and r.headers['etag'] == etag
    r = c.get('/static/app.css', headers={'If-None-Match': '"other"', 'If-Modified-Since': modified})
    assert r.status_code == 200
    r = c.get('/static/app.css', headers={'If-Modified-Since': modified})
    assert r.status_code == 304
    r = c.get('/static/app.css', headers={'If-None-Match': '"a", %s' % etag})
    assert r.status_code == 304


def test_single_range_and_416():
    c = client()
    r = c.get('/static/data.bin', headers={'Range': 'bytes=10-19'})
    assert r.status_code == 206 and r.body == DATA[10:20]
    assert r.headers['content-range'] == 'bytes 10-19/3000'
    assert r.headers['content-length'] == '10'
    r = c.get('/static/data.bin', headers={'Range': 'bytes=-5'})
    assert r.status_code == 206 and r.body == DATA[-5:]
    r = c.get('/static/data.bin', headers={'Range': 'bytes=2990-'})
    assert r.body == DATA[2990:] and r.headers['content-range'] == 'bytes 2990-2999/3000'
    r = c.get('/static/data.bin', headers={'Range': 'bytes=2995-99999'})
    assert r.body == DATA[2995:]
    r = c.get('/static/data.bin', headers={'Range': 'bytes=3000-'})
    assert r.status_code == 416 and r.headers['content-range'] == 'bytes */3000'
    for ignored in ('items=1-2', 'bytes=5-1', 'bytes=x-y', 'bytes=', 'bytes=-'):
        r = c.get('/static/data.bin', headers={'Range': ignored})
        assert r.status_code == 200 and r.body == DATA, ignored


def test_if_range_that_does_not_match_sends_the_whole_file():
    c = client()
    etag = c.get('/static/data.bin').headers['etag']
    r = c.get('/static/data.bin', headers={'Range': 'bytes=0-9', 'If-Range': etag})
    assert r.status_code == 206
    r = c.get('/static/data.bin', headers={'Range': 'bytes=0-9', 'If-Range': '"stale"'})
    assert r.status_code == 200 and len(r.body) == 3000


def test_parse_ranges():
    assert parse_ranges('bytes=0-0', 10, 1) == [(0, 0)]
    assert parse_ranges('bytes=0-1,3-4', 10, 1) is None  # over the cap: whole file
    assert parse_ranges('bytes=0-1, 3-4', 10, 2) == [(0, 1), (3, 4)]
    assert parse_ranges('bytes=20-30', 10, 1) == []
    assert parse_ranges('bytes=-0', 10, 1) == []
    assert parse_ranges('bytes=0-', 0, 1) == []


def test_precompressed_siblings_follow_accept_encoding():
    c = client()
    r = c.get('/static/app.css', headers={'Accept-Encoding': 'gzip, br'})
    assert r.headers['content-encoding'] == 'br' and r.body == b'BR-ENCODED-PLACEHOLDER'
    assert r.headers['content-type'] == 'text/css; charset=utf-8'
    assert r.headers['vary'] == 'Accept-Encoding'
    r = c.get('/static/app.css', headers={'Accept-Encoding': 'gzip, br;q=0'})
    assert r.headers['content-encoding'] == 'gzip' and r.body[:2] == b'\x1f\x8b'
    plain = c.get('/static/app.css', headers={'Accept-Encoding': 'identity'})
    assert 'content-encoding' not in plain.headers and plain.text == CSS
    assert r.headers['etag'] != plain.headers['etag']


def test_gzip_only_asset_is_inflated_for_clients_without_gzip():
    js = 'document.title = "from gz only";\n' * 20
    c = client()
    r = c.get('/static/only.js', headers={'Accept-Encoding': 'gzip'})
    assert r.headers['content-encoding'] == 'gzip' and r.body[:2] == b'\x1f\x8b'
    gz_etag = r.headers['etag']
    r = c.get('/static/only.js')
    assert r.status_code == 200 and r.text == js
    assert r.headers['etag'] != gz_etag and 'accept-ranges' not in r.headers
    assert c.get('/static/only.js', headers={'If-None-Match': r.headers['etag']}).status_code == 304
    assert r.headers['content-length'] == str(len(js))
    assert r.headers['content-type'] == 'text/javascript; charset=utf-8'
    assert 'content-encoding' not in r.headers and r.headers['vary'] == 'Accept-Encoding'


def test_index_and_folder_redirect():
    c = client()
    r = c.get('/static/')
    assert r.status_code == 200 and '<p>home</p>' in r.text
    assert r.headers['content-type'].startswith('text/html')
    r = c.get('/static/docs/')
    assert r.text == '<p>docs</p>\n'
    r = c.get('/static/docs?x=1')
    assert r.status_code == 301 and r.headers['location'] == 'docs/?x=1'


def test_several_roots_in_order():
    c = client()
    assert c.get('/static/shared.txt').text == 'from the first root\n'
    assert c.get('/static/second.txt').text == 'only in the second root\n'


def test_single_page_app_fallback():
    app = App(plugins=['plugdot_static'])
    app.mount(StaticFiles(ASSETS2, fallback='index.html'), '/app')
    c = TestClient(app)
    assert c.get('/app/users/42').text == '<p>spa</p>\n'
    assert c.get('/app/missing.js').status_code == 404
    assert c.get('/app/second.txt').text == 'only in the second root\n'


def test_cache_control_and_immutable_hashed_names():
    c = client(cache_control='public, max-age=60')
    assert c.get('/static/app.css').headers['cache-control'] == 'public, max-age=60'
    r = c.get('/static/app.3f2a9c1b.js')
    assert r.headers['cache-control'] == 'public, max-age=31536000, immutable'
    assert is_hashed('index-BjUz7n1c.js') and is_hashed('app.3f2a9c1b.css')
    for plain in ('jquery-3.7.1.min.js', 'bootstrap.bundle.min.js', 'report-20240101.pdf',
                  'favicon-32x32.png', 'background.png'):
        assert not is_hashed(plain), plain


def test_traversal_and_bad_paths_are_refused():
    c = client()
    for path, statuses in (('/static/../test_static.py', (404,)),
                           ('/static/docs/../../test_static.py', (404,)),
                           ('/static/%2e%2e/test_static.py', (404,)),
                           ('/static/..%2ftest_static.py', (404,)),
                           ('/static/%252e%252e/test_static.py', (404,)),
                           ('/static/..\\test_static.py', (400,)),
                           ('/static/docs%5c..%5c..%5ctest_static.py', (400,)),
                           ('/static/app.css%00.png', (400,)),
                           ('/static/C:/Windows/win.ini', (400,)),
                           ('/static/c:%5cwindows', (400,)),
                           ('/static//etc/passwd', (404,)),
                           ('/static/%2fetc%2fpasswd', (404,)),
                           ('/static/.secret', (404,)),
                           ('/static/nothing.txt', (404,))):
        r = c.get(path)
        assert r.status_code in statuses, (path, r.status_code)
        assert b'SECRET' not in r.body and b'def test_' not in r.body, path


def test_missing_folder_is_an_error_when_the_app_starts():
    app = App(plugins=['plugdot_static'])
    app.mount(StaticFiles(ASSETS, HERE + '/no-such-folder'), '/static')
    try:
        asyncio.run(app.startup())
    except ValueError as exc:
        assert 'no-such-folder' in str(exc)
    else:
        raise AssertionError('no error')


def test_settings_mount_and_static_url():
    app = App(config={'static_folders': [ASSETS], 'static_url_path': '/assets'},
              plugins=['plugdot_static'])
    c = TestClient(app)
    assert c.get('/assets/app.css').text == CSS
    assert static_url('app.css') == '/static/app.css'
    assert static_url('app.css', '/assets/') == '/assets/app.css'


def test_plugins_ship_assets_the_app_can_replace():
    app = App(config={'static_folders': [ASSETS]},
              plugins=['plugdot_static', 'portable_static.shipped'])
    c = TestClient(app)
    assert c.get('/static/widget.js').text == 'window.widget = "shipped by a plugin";\n'
    assert 'the app replaces' in c.get('/static/override.css').text
    assert c.get('/static/app.css').text == CSS


def test_routes_lists_the_mount():
    app = App(plugins=['plugdot_static'])
    app.mount(StaticFiles(ASSETS), '/static')
    rows = app.routes()
    assert rows == [(('GET', 'HEAD'), '/static/<path:path>', 'StaticFiles(%s)' % ASSETS)]


def test_the_transfer_stops_when_the_client_hangs_up():
    c = client(chunk_size=512)
    r = c.get('/static/data.bin', disconnect_after=2)
    assert r.status_code == 200 and r.body == DATA[:1024]
