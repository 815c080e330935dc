"""The plugdot command: run (real hypercorn), routes, plugins, extension."""
import subprocess
import sys

import httpx

from plugdot.cli import build_parser, main
from plugdot.plugins import make_plugin_manager

from conftest import ROOT


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
    assert r.returncode == 1 and "pip install 'plugdot[server]'" in r.stderr


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
