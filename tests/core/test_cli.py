"""The plugdot command: run (real hypercorn), routes, plugins, extension."""
import subprocess
import sys

import httpx

from plugdot.cli import build_parser, main
from plugdot.plugins import make_plugin_manager

from support import ROOT


def run_cli(*args):
    return subprocess.run([sys.executable, '-m', 'plugdot.cli', *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_routes_lists_both_styles():
    out = run_cli('routes', 'examples/decorator_app.py:app').stdout
    assert 'GET' in out and '/add/<int:a>/<int:b>' in out and 'add' in out
    out = run_cli('routes', 'examples/class_app.py:app').stdout
    assert '/greet/<name>' in out and 'GET, POST' in out and '/buy/<id>/<quantity>' in out
    out = run_cli('routes', 'examples/json_api.py:app').stdout
    assert '/api/notes/<int:id>' in out


def test_plugins_lists_versions_and_hooks():
    out = run_cli('plugins').stdout
    assert 'plugdot.routing 0.1.0' in out and 'plugdot_resolve' in out
    assert 'request_id 0.1.0' in out and 'plugdot_after_request' in out


def test_plugins_lists_in_the_order_hooks_run(tmp_path):
    # docs/hooks.md, "Order": alphabetical, the built-ins last; as
    # app.list_plugins() says (plugins without app hooks, like mpy_server,
    # only in the CLI's list)
    (tmp_path / 'orderapp.py').write_text('from plugdot import App\n'
                                          'app = App(plugins=["sse", "cors", "healthz"])\n')
    out = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'plugins', 'orderapp.py:app'],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60).stdout
    listed = [line.split()[0] for line in out.splitlines() if line[:1].strip()]
    assert listed[:3] == ['cors', 'healthz', 'sse'], out
    assert listed[3:] == ['plugdot.config', 'plugdot.routing', 'plugdot.request',
                          'plugdot.response', 'plugdot.errors'], out
    out = run_cli('plugins').stdout
    listed = [line.split()[0] for line in out.splitlines() if line[:1].strip()]
    plugins = [name for name in listed if not name.startswith('plugdot')]
    assert plugins == sorted(plugins) and listed[-1] == 'plugdot.errors', out


def test_bad_targets_give_clear_messages():
    r = run_cli('routes', 'examples/nope.py:app')
    assert r.returncode != 0 and 'no such file' in r.stderr
    r = run_cli('routes', 'examples/decorator_app.py:missing')
    assert r.returncode != 0 and "no attribute 'missing'" in r.stderr


def test_run_serves_with_hypercorn(serve_cli):
    base = serve_cli('examples/decorator_app.py:app')
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get('/add/2/3').json() == {'a': 2, 'b': 3, 'sum': 5}
        assert 'Hello from plugdot' in client.get('/').text
        r = client.get('/search?q=x')
        assert r.json() == {'query': 'x', 'results': []}
        assert client.get('/nope').text == 'Nothing at /nope'


def test_run_without_hypercorn_explains_what_to_install():
    code = ('import sys; sys.modules["hypercorn"] = None\n'
            'from plugdot.cli import main\n'
            'sys.exit(main(["run", "examples/decorator_app.py:app", "--server", "hypercorn"]))')
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and "pip install hypercorn (the plugdot[server] extra)" in r.stderr


def test_plugins_can_add_commands():
    calls = []

    class Cmd:
        def plugdot_add_commands(self, subparsers):
            p = subparsers.add_parser('hello')
            p.add_argument('who')
            p.set_defaults(func=lambda args: calls.append(args.who) or 0)

    pm = make_plugin_manager(plugins=[Cmd()])
    args = build_parser(pm).parse_args(['hello', 'world'])
    assert args.func(args) == 0 and calls == ['world']


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert 'run' in capsys.readouterr().out


REFUSING_APP = '''
from plugdot import App


class NeedsDatabase:
    def plugdot_startup(self, app):
        raise RuntimeError('the database is not reachable')


app = App(plugins=[])
app.register_plugin(NeedsDatabase())
'''


def test_startup_failures_print_one_line_and_exit_non_zero(tmp_path):
    from support import free_port
    (tmp_path / 'refusing.py').write_text(REFUSING_APP)
    for server in ('hypercorn', 'mpy'):
        result = run_cli('run', str(tmp_path / 'refusing.py') + ':app', '--port',
                         str(free_port()), '--server', server)
        out = result.stdout + result.stderr
        assert result.returncode == 1, (server, out)
        assert 'Traceback' not in out and 'serving on' not in out, (server, out)
        assert ('plugdot: could not start: RuntimeError: the database is not reachable'
                in result.stderr), (server, out)
    import socket
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli('run', 'examples/decorator_app.py:app', '--port', str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == ('plugdot: port %d on 127.0.0.1 is in use (another '
                                     'server?): stop it or choose another port with --port' % port)
