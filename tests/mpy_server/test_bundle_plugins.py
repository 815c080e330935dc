"""Plugins in a bundle: the board replays exactly the order CPython
resolved; which plugins `plugdot bundle` takes by default and what it says
about the others."""
import os
import subprocess
import sys

import pytest
from support import ROOT

PLUGINS = ['websocket', 'server_timing', 'sessions', 'healthz', 'request_id', 'rate_limit']
APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'order_app.py')


@pytest.mark.plugdot(app='order_app.py:app', plugins=PLUGINS, config={'secret_key': 'x' * 32})
def test_the_board_replays_the_order_cpython_resolved(client, mpy_client):
    here = client.get('/order').json()
    board = mpy_client.get('/order').json()
    assert board == here
    hooks = here['hooks']
    # One rule: installed plugins alphabetically (whatever order they were listed in),
    # then the built-ins.
    assert hooks['plugdot_before_request'] == ['rate_limit', 'request_id']
    assert hooks['plugdot_after_request'] == ['request_id']
    assert hooks['plugdot_request'] == ['server_timing']
    assert hooks['plugdot_settings'][:5] == ['healthz', 'rate_limit', 'request_id',
                                             'server_timing', 'sessions']
    assert hooks['plugdot_settings'][-1] == 'plugdot.config'
    for plugin in PLUGINS:
        assert plugin in here['plugins']
    r = mpy_client.get('/order')
    assert 'server-timing' in r.headers and 'x-request-id' in r.headers


def bundle(tmp_path, *args, env=None):
    return subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', APP, '-o',
                           str(tmp_path / 'board'), '--source', '--no-shake', *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def bundled_module(tmp_path):
    namespace = {}
    text = (tmp_path / 'board' / 'plugdot_bundled.py').read_text()
    exec(text.replace('from plugdot._compat import', 'from plugdot._compat import REQUIRED  #'),
         namespace)
    return namespace


def test_plugin_flags_select_but_do_not_reorder(tmp_path):
    done = bundle(tmp_path, '--plugin', 'server_timing', '--plugin', 'rate_limit',
                  '--plugin', 'healthz')
    assert done.returncode == 0, done.stderr
    assert 'plugins bundled, in call order: healthz, rate_limit, server_timing' in done.stdout
    for left_out in ('request_id', 'sessions', 'websocket'):
        assert ("warning: plugin %r is loaded by the app on CPython but left out of the bundle"
                % left_out) in done.stdout
    table = bundled_module(tmp_path)
    assert [row[0] for row in table['PLUGINS']] == ['healthz', 'rate_limit', 'server_timing']
    settings = [row[0] for row in table['HOOKS']['plugdot_settings']]
    assert settings == ['healthz', 'rate_limit', 'server_timing', 'plugdot.config']


def test_by_default_every_plugin_the_app_loads_and_blocked_ones_said(tmp_path):
    from plugdot.plugins import entry_points
    installed = sorted(ep.name for ep in entry_points())
    assert {'healthz', 'rate_limit', 'sessions', 'websocket'} <= set(installed)
    expected = [name for name in installed if name not in ('mpy_server', 'sessions')]
    done = bundle(tmp_path, env={'PLUGDOT_BLOCK_PLUGINS': 'sessions'})
    assert done.returncode == 0, done.stderr
    assert 'plugins bundled, in call order: %s\n' % ', '.join(expected) in done.stdout
    assert "plugin 'sessions' is blocked: not bundled" in done.stdout
    assert 'warning' not in done.stdout
    refused = bundle(tmp_path, '--plugin', 'sessions', env={'PLUGDOT_BLOCK_PLUGINS': 'sessions'})
    assert refused.returncode == 1 and "plugin 'sessions' is blocked" in refused.stderr
    assert 'not installed' not in refused.stderr and 'Traceback' not in refused.stderr


def test_a_cpython_only_plugin_is_left_out_with_a_warning(tmp_path):
    site = tmp_path / 'site'
    dist = site / 'desktop_only-1.0.dist-info'
    dist.mkdir(parents=True)
    (dist / 'entry_points.txt').write_text('[plugdot]\ndesktop = desktop_only\n')
    (site / 'desktop_only.py').write_text('def plugdot_after_request(request, response):\n'
                                          '    pass\n')
    done = bundle(tmp_path, env={'PYTHONPATH': str(site)})
    assert done.returncode == 0, done.stderr
    assert ("warning: plugin 'desktop' cannot be bundled (it declares no plugdot_bundle_modules: "
            "CPython only); left out") in done.stdout
    assert 'desktop' not in [row[0] for row in bundled_module(tmp_path)['PLUGINS']]


def test_check_shows_the_traceback_of_a_500(tmp_path):
    app = tmp_path / 'broken.py'
    app.write_text('from plugdot import App\napp = App()\n\n@app.get("/boom")\n'
                   'async def boom(request):\n    return 1 // 0\n')
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app), '-o',
                           str(tmp_path / 'board'), '--source', '--no-shake', '--no-plugins',
                           '--check', '--heap', '512k'],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'FAIL GET /boom -> 500' in done.stdout
    assert 'the board printed:' in done.stdout and 'ZeroDivisionError' in done.stdout


def test_an_app_importing_a_left_out_plugin_is_refused(tmp_path):
    # The outside-in trial: the bundle only warned, and the board then died at
    # boot with `ImportError: no module named 'plugdot_websocket'`.
    app_file = tmp_path / 'live.py'
    app_file.write_text('from plugdot import App\n'
                        'from plugdot_websocket import with_websocket\n'
                        'app = App()\n\n'
                        "@app.get('/ws')\n@with_websocket\n"
                        'async def ws(request, ws):\n    await ws.send("hi")\n')
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'board'), '--source', '--plugin', 'sessions'],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("the app imports plugdot_websocket but its plugin 'websocket' is left out of the "
            "bundle: add --plugin websocket") in done.stderr
    assert 'Traceback' not in done.stderr
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(tmp_path / 'board'), '--source', '--plugin', 'websocket'],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_fails_a_route_that_is_missing_on_the_board(tmp_path):
    # The outside-in trial: --check said `pass GET /healthz -> 404` for the
    # route of a plugin the bundle left out: served on CPython, missing on the
    # board. It is a failure naming the route and the plugin.
    app = tmp_path / 'health.py'
    app.write_text("from plugdot import App\napp = App()\n\n"
                   "@app.get('/')\nasync def index(request):\n    return 'hi'\n")
    env = dict(os.environ, PLUGDOT_PLUGINS='healthz,request_id')
    for heap in (['--heap', '512k'], []):
        done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app), '-o',
                               str(tmp_path / 'board'), '--source', '--no-shake', '--plugin',
                               'request_id', '--check', *heap], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env=env)
        assert done.returncode == 1, done.stdout + done.stderr
        assert ("FAIL GET /healthz -> 404 (the app serves it on CPython: its plugin 'healthz' "
                "is left out of the bundle; add --plugin healthz)") in done.stdout, done.stdout
        assert 'pass GET / -> 200' in done.stdout and 'pass GET /healthz' not in done.stdout
        assert 'check: FAILED: a route the app serves on CPython answers 404' in done.stdout
        assert 'Traceback' not in done.stdout + done.stderr
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app), '-o',
                           str(tmp_path / 'board'), '--source', '--no-shake', '--plugin', 'healthz',
                           '--check', '--heap', '512k'], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'pass GET /healthz -> 200' in done.stdout and 'check: passed' in done.stdout
