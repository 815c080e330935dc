"""Stopping `plugdot run` (SIGTERM, as a supervisor or Ctrl+C does) when the
app mounts StaticFiles, which has no ``stopping()`` (trial 12, #1): exit
status 0 on both servers, and PLUGDOT_DEBUG=1 shows the traceback of a
failure it promises one for (docs/guide.md, "Serving")."""
import signal
import subprocess
import sys

import httpx
import pytest

from support import free_port, start_server

MOUNTED = '''
from plugdot import App
from plugdot_static import StaticFiles

app = App()
app.mount(StaticFiles(%r), '/static')


@app.get('/')
async def index(request):
    return 'x'
'''

CONFIGURED = '''
from plugdot import App

app = App(config={'static_folders': [%r], 'static_url_path': '/static'})


@app.get('/')
async def index(request):
    return 'x'
'''

REFUSING = '''
from plugdot import App


class NeedsDatabase:
    def plugdot_startup(self, app):
        raise RuntimeError('the database is not reachable')


app = App(plugins=[])
app.register_plugin(NeedsDatabase())
'''


def _serve_and_stop(path, server, tmp_path):
    port = free_port()
    proc = start_server([sys.executable, '-m', 'plugdot.cli', 'run', str(path) + ':app',
                         '--port', str(port), '--server', server], port, cwd=tmp_path)
    try:
        with httpx.Client(base_url='http://127.0.0.1:%d' % port, timeout=10) as client:
            assert client.get('/').text == 'x'
            assert client.get('/static/a.txt').text == 'hello'
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    return proc.returncode, out.decode()


@pytest.mark.parametrize('server', ['hypercorn', 'mpy'])
@pytest.mark.parametrize('source', [MOUNTED, CONFIGURED], ids=['mount', 'static_folders'])
def test_sigterm_stops_an_app_with_static_files_cleanly(tmp_path, server, source):
    (tmp_path / 'st').mkdir()
    (tmp_path / 'st' / 'a.txt').write_text('hello')
    app = tmp_path / 'site.py'
    app.write_text(source % 'st')
    code, out = _serve_and_stop(app, server, tmp_path)
    assert code == 0, out
    assert 'could not start' not in out and 'Traceback' not in out, out


STOPPING_FAILS = '''
from plugdot import App


class Flaky:
    def plugdot_stopping(self, app):
        raise RuntimeError('the queue would not close')


app = App(plugins=[])
app.register_plugin(Flaky())


@app.get('/')
async def index(request):
    return 'x'
'''


def test_a_failing_stopping_hook_is_logged_and_the_server_still_stops(tmp_path):
    (tmp_path / 'st').mkdir()
    (tmp_path / 'st' / 'a.txt').write_text('hello')
    app = tmp_path / 'flaky.py'
    app.write_text(STOPPING_FAILS.replace("app.register_plugin(Flaky())",
                                          "app.register_plugin(Flaky())\n"
                                          "from plugdot_static import StaticFiles\n"
                                          "app.mount(StaticFiles('st'), '/static')"))
    code, out = _serve_and_stop(app, 'hypercorn', tmp_path)
    assert code == 0, out
    assert 'App.stopping() failed' in out and 'the queue would not close' in out, out
    assert 'could not start' not in out, out


def test_plugdot_debug_shows_the_traceback_of_a_failed_start(tmp_path):
    app = tmp_path / 'refusing.py'
    app.write_text(REFUSING)
    command = [sys.executable, '-m', 'plugdot.cli', 'run', str(app) + ':app',
               '--port', str(free_port())]
    quiet = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 1 and 'Traceback' not in quiet.stderr
    assert quiet.stderr.strip().endswith('plugdot: could not start: RuntimeError: the database '
                                         'is not reachable (PLUGDOT_DEBUG=1 shows the traceback)')
    import os
    env = dict(os.environ, PLUGDOT_DEBUG='1')
    loud = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert loud.returncode == 1, loud.stderr
    # the cause's traceback once (not the server's wrapper of it too)
    assert loud.stderr.count('Traceback') == 1, loud.stderr
    assert "raise RuntimeError('the database is not reachable')" in loud.stderr
    assert loud.stderr.strip().endswith(
        'plugdot: could not start: RuntimeError: the database is not reachable'), loud.stderr


def test_plugdot_debug_shows_the_traceback_of_any_other_failure(tmp_path, monkeypatch, capsys):
    import plugdot.serve
    from plugdot.cli import main

    def broken(*args):
        raise OSError('the event loop broke')
    monkeypatch.setattr(plugdot.serve, 'serve', broken)
    app = tmp_path / 'plain.py'
    app.write_text('from plugdot import App\napp = App(plugins=[])\n')
    target = str(app) + ':app'
    assert main(['run', target, '--port', str(free_port())]) == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err and 'PLUGDOT_DEBUG=1 shows the traceback' in err
    monkeypatch.setenv('PLUGDOT_DEBUG', '1')
    assert main(['run', target, '--port', str(free_port())]) == 1
    err = capsys.readouterr().err
    assert 'Traceback' in err and "raise OSError('the event loop broke')" in err, err
    assert err.strip().endswith('plugdot: could not start: the event loop broke'), err
