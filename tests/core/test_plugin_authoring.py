"""What a plugin author relies on (issue 23): one plugin order, wrapper
rules, settings checks, tracing, `plugdot plugins`, `plugdot new-plugin`."""
import os
import subprocess
import sys

import pytest

from plugdot import App, PluginError, hookimpl
from plugdot._trace import trace
from plugdot.testing import TestClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RECORD = '''
ORDER = []

def plugdot_before_request(request):
    request.app.order.append(%r)
'''


def order_of(app):
    app.order = []

    @app.get('/')
    async def index(request):
        return 'x'
    TestClient(app).get('/')
    return app.order


def test_named_plugins_run_alphabetically_however_they_are_listed(fake_plugins, monkeypatch):
    for name in ('zeta', 'alpha', 'mid'):
        fake_plugins(name, RECORD % name)
    assert order_of(App(block_plugins=['request_id'])) == ['alpha', 'mid', 'zeta']
    assert order_of(App(plugins=['zeta', 'mid', 'alpha'])) == ['alpha', 'mid', 'zeta']
    monkeypatch.setenv('PLUGDOT_PLUGINS', 'zeta,alpha')
    assert order_of(App()) == ['alpha', 'zeta']


def test_objects_run_before_named_plugins_in_the_order_given(fake_plugins):
    fake_plugins('alpha', RECORD % 'alpha')

    class Obj:
        def __init__(self, label):
            self.label = label

        def plugdot_before_request(self, request):
            request.app.order.append(self.label)
    assert order_of(App(plugins=['alpha', Obj('one'), Obj('two')])) == ['one', 'two', 'alpha']


def test_tryfirst_still_wins_over_the_alphabet(fake_plugins):
    fake_plugins('alpha', RECORD % 'alpha')
    fake_plugins('zeta', 'from plugdot import hookimpl\n'
                 '@hookimpl(tryfirst=True)\n' + (RECORD % 'zeta').replace('\nORDER = []\n', ''))
    assert order_of(App(plugins=['alpha', 'zeta'])) == ['zeta', 'alpha']


def test_wrapper_misuse_is_refused_at_registration_with_the_fix():
    class Old:
        @hookimpl(hookwrapper=True)
        def plugdot_after_request(self, request, response):
            yield

    class Elsewhere:
        @hookimpl(wrapper=True)
        def plugdot_before_request(self, request):
            yield

    class NotAGenerator:
        def plugdot_request(self, request):
            return None
    with pytest.raises(PluginError, match='hookwrapper=True is not supported.*plugdot_request'):
        App(plugins=[Old()])
    with pytest.raises(PluginError, match='only supported on plugdot_request'):
        App(plugins=[Elsewhere()])
    with pytest.raises(PluginError, match='generator'):
        App(plugins=[NotAGenerator()])


def test_a_marked_wrapper_is_accepted():
    class Marked:
        @hookimpl(wrapper=True, tryfirst=True)
        def plugdot_request(self, request):
            response = yield
            response.headers['X-Marked'] = '1'
    app = App(plugins=[Marked()])
    assert TestClient(app).get('/').headers['x-marked'] == '1'


def test_two_installed_plugins_declaring_one_setting_fail_at_startup(fake_plugins):
    fake_plugins('first', "def plugdot_settings():\n    return {'colour': ('red', 'x')}\n")
    fake_plugins('second', "def plugdot_settings():\n    return {'colour': ('blue', 'y')}\n")
    with pytest.raises(PluginError) as err:
        App()
    assert "'colour'" in str(err.value) and "'first'" in str(err.value)
    assert "'second'" in str(err.value)


def test_near_miss_config_keys_are_warned_with_a_suggestion():
    with pytest.warns(UserWarning, match="unknown setting 'max_body_sise' "
                                         r"\(did you mean 'max_body_size'\?\)"):
        App(config={'max_body_sise': 10}, plugins=[])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        App(config={'database_url': 'sqlite://'}, plugins=[])  # an app's own key: no warning


def test_environment_values_are_still_checked_at_startup(monkeypatch):
    monkeypatch.setenv('PLUGDOT_MAX_BODY_SIZE', 'lots')
    with pytest.raises(ValueError, match='PLUGDOT_MAX_BODY_SIZE'):
        App(plugins=[])


def test_trace_logs_each_hook_call_with_its_plugin(fake_plugins):
    fake_plugins('alpha', RECORD % 'alpha')
    app = App(plugins=['alpha'])
    app.order = []

    @app.get('/')
    async def index(request):
        return 'x'
    lines = []
    trace(app, lines.append)
    assert TestClient(app).get('/').text == 'x'
    assert [line.split()[:2] for line in lines] == [
        ['resolve', 'plugdot.routing'], ['before_request', 'alpha'],
        ['make_response', 'plugdot.response']]
    assert lines[1].endswith('-> None') and lines[2].endswith('-> Response 200')


def run_cli(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, '-m', 'plugdot.cli', *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


def test_plugins_command_says_what_bundles_and_traces_a_request(tmp_path):
    done = run_cli('plugins')
    assert done.returncode == 0, done.stderr
    assert 'plugdot.routing 0.1.0  [core]' in done.stdout
    assert 'request_id 0.1.0  [bundles for MicroPython]' in done.stdout
    app = tmp_path / 'traced.py'
    app.write_text('from plugdot import App, HTTPError\napp = App(plugins=["rate_limit", '
                   '"server_timing"], config={"rate_limit": 1})\n'
                   '@app.get("/")\nasync def index(request):\n    return "hi"\n')
    done = run_cli('plugins', str(app), '--trace', '/')
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == 'GET /' and lines[-1] == '-> 200 (2 bytes)'
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ['request', 'server_timing'], ['resolve', 'plugdot.routing'],
        ['before_request', 'rate_limit'], ['make_response', 'plugdot.response'],
        ['request', 'server_timing']]
    assert 'leaves -> kept the response' in lines[-2]


def test_plugins_command_flags_cpython_only_plugins(fake_plugins, tmp_path):
    fake_plugins('desktop', 'def plugdot_after_request(request, response):\n    pass\n')
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = run_cli('plugins', env=env)
    assert 'desktop 1.2.3  [CPython only (no plugdot_bundle_modules)]' in done.stdout


def test_new_plugin_makes_a_distribution_whose_tests_pass_on_both_interpreters(tmp_path):
    done = run_cli('new-plugin', 'cache-control', '-d', str(tmp_path))
    assert done.returncode == 0, done.stderr
    root = tmp_path / 'plugdot-cache-control'
    pyproject = (root / 'pyproject.toml').read_text()
    assert 'cache_control = "plugdot_cache_control"' in pyproject
    assert 'pytest.mark.plugdot' in (root / 'tests' / 'test_cache_control.py').read_text()
    assert '# plugdot-cache-control' in (root / 'README.md').read_text()
    # "Install" it: a dist-info with its entry point next to its sources.
    dist = root / 'src' / 'plugdot_cache_control-0.1.0.dist-info'
    dist.mkdir()
    (dist / 'entry_points.txt').write_text('[plugdot]\ncache_control = plugdot_cache_control\n')
    env = dict(os.environ, PYTHONPATH=str(root / 'src'))
    done = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                           str(root / 'tests')], capture_output=True, text=True, timeout=300,
                          cwd=str(root), env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert '4 passed' in done.stdout  # two tests, each on CPython and MicroPython
    again = run_cli('new-plugin', 'cache-control', '-d', str(tmp_path))
    assert again.returncode == 1 and 'exists already' in again.stderr
    bad = run_cli('new-plugin', 'Bad Name!', '-d', str(tmp_path))
    assert bad.returncode == 1 and 'not a plugin name' in bad.stderr
    assert 'Traceback' not in bad.stderr + again.stderr
