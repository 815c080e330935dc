"""The core's code a board loads on first use (``ON_DEMAND`` in the
bundler: plugin objects registered at run time, ``App(config=...)``'s
checks, tuple return values, streamed bodies, ``plugdot_request``
wrappers): files of their own in every bundle, which a board that runs
them loads and serves with, from ``.mpy`` files under the real MicroPython
unix port (both lanes)."""
import httpx
from board_support import bundle, run_board, stop

APP = '''from plugdot import App


class Stamp:
    """A plugin object: registered at run time, a plugdot_request wrapper."""

    def plugdot_request(self, request):
        response = yield
        response.headers['X-Stamp'] = 'seen'


app = App(config={'max_body_size': 2048, 'max_json_depht': 3}, plugins=[Stamp()])


@app.get('/')
async def index(request):
    return 'hello'


@app.get('/made')
async def made(request):
    return 'made', 201, {'X-A': 'b'}


@app.get('/stream')
async def stream(request):
    async def parts():
        for part in ('a', 'b', 'c'):
            yield part
    return parts()


@app.get('/limit')
async def limit(request):
    return str(request.app.config['max_body_size'])
'''


def test_code_loaded_on_first_use_serves_from_a_bundle(tmp_path, micropython_exe):
    out, _ = bundle(tmp_path, 'ondemand', APP, '--no-plugins')
    manifest = (out / 'manifest.py').read_text()
    for name in ('_table_edit', '_given', '_tuples', '_streams', '_wrappers', '_lifespan'):
        assert (out / 'plugdot' / (name + '.mpy')).exists(), name  # not merged: loaded on use
        assert "'plugdot/%s.mpy'" % name in manifest, name
    proc, url = run_board(micropython_exe, out, '256k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            first = c.get('/')
            assert (first.text, first.headers['x-stamp']) == ('hello', 'seen')
            made = c.get('/made')
            assert (made.status_code, made.text, made.headers['x-a']) == (201, 'made', 'b')
            assert made.headers['x-stamp'] == 'seen'
            streamed = c.get('/stream')
            assert (streamed.status_code, streamed.text) == (200, 'abc')
            assert c.get('/limit').text == '2048'
    finally:
        shown = stop(proc)
    # the near miss is still told on a board (printed: it has no warnings module)
    assert "unknown setting 'max_json_depht' (did you mean 'max_json_depth'?)" in shown, shown
