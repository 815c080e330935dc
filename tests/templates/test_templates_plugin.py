"""plugdot-templates on CPython: every rendering mode in both routing
styles, inheritance and includes, the context and template-dir hooks,
errors, and what the TestClient reports."""
import asyncio
import logging
import pathlib
import sys

import pytest

from plugdot import App
from plugdot.testing import TestClient
from plugdot_templates import (Template, TemplateResponse, render_template,
                               render_template_async, stream_template)


@pytest.fixture
def pages():
    """The folder of the test templates."""
    return str(pathlib.Path(__file__).resolve().parent / 'pages')


def make_app(pages, **config):
    app = App(config=dict({'templates_dir': pages}, **config))

    @app.get('/hello/<name>')
    async def hello(request, name):
        return render_template('hello.html', name=name)

    @app.get('/async/<name>')
    async def hello_async(request, name):
        return await render_template_async('hello.html', name=name)

    @app.get('/stream')
    async def stream(request):
        return stream_template('list.html', items=['a', '<b>', 'c'])

    @app.get('/sync-handler')
    def sync_handler(request):
        return render_template('hello.html', name='thread')

    @app.get('/status')
    async def status(request):
        return render_template('hello.html', name='x'), 201, {'X-Extra': '1'}
    return app


HELLO_ANN = ('<!doctype html>\n<title>Hello - Site</title>\n<main><p>Hello, Ann!</p></main>\n'
             '<footer>/hello/Ann</footer>')


def test_render_template_decorator_style(pages):
    client = TestClient(make_app(pages))
    r = client.get('/hello/Ann')
    assert r.status_code == 200
    assert r.headers['content-type'] == 'text/html; charset=utf-8'
    assert r.text == HELLO_ANN
    assert r.template == 'hello.html'
    assert r.context['name'] == 'Ann'
    assert r.context['request'].path == '/hello/Ann'
    assert client.get('/sync-handler').text.count('Hello, thread!') == 1


def test_render_template_async_and_stream_decorator_style(pages):
    client = TestClient(make_app(pages))
    assert client.get('/async/Ann').text == HELLO_ANN.replace('/hello/', '/async/')
    r = client.get('/stream')
    assert r.text == '<ul>\n  <li>1. a</li>\n  <li>2. &lt;b&gt;</li>\n  <li>3. c</li>\n</ul>'
    assert 'content-length' not in r.headers  # streamed
    assert r.template == 'list.html'


def test_status_and_headers_of_a_template_response(pages):
    r = TestClient(make_app(pages)).get('/status')
    assert r.status_code == 201 and r.headers['x-extra'] == '1'
    assert 'Hello, x!' in r.text


def test_class_style_render_modes(pages):
    class Site(App):
        async def index(self):
            return self.render('hello.html', name='Index')

        async def later(self):
            return await self.render_async('hello.html', name='Later')

        async def micropie(self):
            return await self._render_template('hello.html', name='MicroPie')

        def report(self):
            return self.stream_template('list.html', items=[1, 2])

    client = TestClient(Site(config={'templates_dir': pages}))
    assert 'Hello, Index!' in client.get('/').text
    assert 'Hello, Later!' in client.get('/later').text
    assert 'Hello, MicroPie!' in client.get('/micropie').text
    assert client.get('/report').text == '<ul>\n  <li>1. 1</li>\n  <li>2. 2</li>\n</ul>'
    assert client.get('/render').status_code == 404  # helpers are not routes


def test_a_class_method_named_render_is_left_alone(pages):
    class Site(App):
        async def render(self):
            return 'my own route'

    client = TestClient(Site(config={'templates_dir': pages}))
    assert client.get('/render').text == 'my own route'


def test_microdot_template_class(pages):
    Template.initialize(template_dir=pages)
    try:
        text = Template('hello.html').render(name='<Ann>')
        assert '<p>Hello, &lt;Ann&gt;!</p>' in text
        assert '<footer>no request</footer>' in text
        assert ''.join(Template('list.html').generate(items=['x'])) == \
            '<ul>\n  <li>1. x</li>\n</ul>'
        assert asyncio.run(Template('hello.html').render_async(name='A')) == \
            Template('hello.html').render(name='A')

        async def collect():
            return ''.join([p async for p in Template('list.html').generate_async(items=[])])
        assert asyncio.run(collect()) == '<ul>\n</ul>'
        # Escaping follows the extension for Template, as in Microdot.
        assert Template('notes.txt').render(text='<i>') == 'note: <i>'
    finally:
        Template._engine = None


def test_any_template_rendered_into_html_is_escaped(pages):
    app = App(config={'templates_dir': pages})

    @app.get('/note')
    async def note(request):
        return render_template('notes.txt', text='<script>alert(1)</script>')

    assert TestClient(app).get('/note').text == 'note: &lt;script&gt;alert(1)&lt;/script&gt;'


XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='x",
       '&lt;already&gt;', 'javascript:alert(1)']


@pytest.mark.parametrize('payload', XSS)
def test_xss_payloads_are_escaped_and_safe_is_not(pages, payload):
    app = App(config={'templates_dir': pages})

    @app.get('/')
    async def page(request):
        return render_template('safe.html', value=request.args['v'])

    text = TestClient(app).get('/', query={'v': payload}).text
    escaped, raw = text.split('|')
    assert raw == payload
    for ch in '<>"\'':
        assert ch not in escaped
    from markupsafe import escape
    assert escaped == str(escape(payload))


def test_context_hook_adds_values_and_the_handler_wins(pages):
    class SitePlugin:
        def plugdot_template_context(self, request):
            return {'site': 'My site', 'who': 'plugin'}

    app = App(config={'templates_dir': pages})
    app.register_plugin(SitePlugin())

    @app.get('/hello/<name>')
    async def hello(request, name):
        return 'unused'

    @app.get('/')
    async def index(request):
        return render_template('context.html', who='handler')

    r = TestClient(app).get('/')
    assert r.text == 'My site|handler|/hello/Ann'
    assert r.context['site'] == 'My site' and r.context['url_for'] == app.url_for


def test_template_dirs_hook_ships_templates_the_app_can_override(pages, tmp_path):
    shipped = tmp_path / 'shipped'
    shipped.mkdir()
    (shipped / 'widget.html').write_text('widget from the plugin')
    (shipped / 'hello.html').write_text('the plugin hello')

    class WidgetPlugin:
        def plugdot_template_dirs(self):
            return [str(shipped)]

    app = App(config={'templates_dir': pages})
    app.register_plugin(WidgetPlugin())

    @app.get('/<name>')
    async def show(request, name):
        return render_template(name, name='Ann')

    client = TestClient(app)
    assert client.get('/widget.html').text == 'widget from the plugin'
    assert 'Hello, Ann!' in client.get('/hello.html').text  # the app's own file wins


@pytest.mark.parametrize('engine', ['jinja2', 'compiled'])
def test_package_templates_through_the_dirs_hook(engine):
    class PackagePlugin:
        def plugdot_template_dirs(self):
            return ['plugdot_templates_testpkg:templates']

    import pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).parent / 'pkgs'))
    try:
        app = App(config={'templates_dir': [], 'templates_engine': engine})
        app.register_plugin(PackagePlugin())

        @app.get('/')
        async def index(request):
            return render_template('shipped.html', x='<x>')
        assert TestClient(app).get('/').text == 'shipped &lt;x&gt;'
    finally:
        sys.path.pop(0)


def error_app(pages, debug=False):
    app = App(config={'templates_dir': pages, 'debug': debug})

    @app.get('/<name>')
    async def show(request, name):
        return render_template(name)

    @app.get('/stream/<name>')
    async def stream(request, name):
        return stream_template(name)
    return app


@pytest.mark.parametrize('path, cause', [
    ('/missing.html', 'template missing.html not found (searched '),
    ('/stream/missing.html', 'template missing.html not found'),
    ('/broken.html', 'broken.html:2: template syntax error: Unexpected end of template'),
    ('/uses_missing.html', 'template nowhere.html not found'),
])
def test_template_errors_are_a_logged_500_with_detail_only_in_debug(pages, caplog, path, cause):
    with caplog.at_level(logging.ERROR, logger='plugdot'):
        r = TestClient(error_app(pages)).get(path)
    assert r.status_code == 500
    assert r.text == 'Internal Server Error'
    assert cause in caplog.text
    r = TestClient(error_app(pages, debug=True)).get(path)
    assert r.status_code == 500 and cause in r.text


def test_an_error_handler_answers_template_errors(pages):
    app = error_app(pages)

    @app.errorhandler(Exception)
    async def oops(request, error):
        return '<h1>Sorry</h1>', 500

    r = TestClient(app).get('/missing.html')
    assert (r.status_code, r.text) == (500, '<h1>Sorry</h1>')


def test_missing_jinja2_is_a_clear_error(pages, caplog, monkeypatch):
    for name in [m for m in sys.modules if m == 'jinja2' or m.startswith('jinja2.')]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, 'jinja2', None)  # import jinja2 -> ImportError
    with caplog.at_level(logging.ERROR, logger='plugdot'):
        r = TestClient(error_app(pages)).get('/hello.html')
    assert r.status_code == 500
    assert 'needs Jinja2 on CPython: pip install jinja2' in caplog.text


def test_templates_reload_only_in_debug(pages, tmp_path):
    page = tmp_path / 'p.html'
    page.write_text('one')
    for debug, expected in ((False, 'one'), (True, 'two')):
        page.write_text('one')
        app = error_app(str(tmp_path), debug)
        client = TestClient(app)
        assert client.get('/p.html').text == 'one'
        import os
        page.write_text('two')
        os.utime(page, (page.stat().st_mtime + 5,) * 2)
        assert client.get('/p.html').text == expected


def test_each_app_has_its_own_environment(pages, tmp_path):
    (tmp_path / 'hello.html').write_text('other app: {{ name }}')
    one, two = error_app(pages), error_app(str(tmp_path))
    assert 'Hello' in TestClient(one).get('/hello.html').text
    assert TestClient(two).get('/hello.html').text == 'other app: '
    one.config['templates_dir'] = str(tmp_path)  # settings changed: a new environment
    assert TestClient(one).get('/hello.html').text == 'other app: '


def test_after_request_can_render_the_body_first(pages):
    app = make_app(pages)

    @app.after_request
    async def length(request, response):
        if isinstance(response, TemplateResponse):
            await response.render(request)
            response.headers['X-Body-Length'] = str(len(response.body))

    r = TestClient(app).get('/hello/Ann')
    assert r.headers['x-body-length'] == str(len(HELLO_ANN)) and r.text == HELLO_ANN


def test_compiled_engine_on_cpython_renders_the_same(pages):
    jinja, compiled = make_app(pages), make_app(pages, templates_engine='compiled')
    for path in ('/hello/Ann', '/async/Bob', '/stream', '/status'):
        assert TestClient(compiled).get(path).text == TestClient(jinja).get(path).text


def test_a_missing_templates_dir_stops_the_app_at_startup(pages, tmp_path, monkeypatch):
    missing = str(tmp_path / 'nope')
    app = make_app([pages, missing])
    with pytest.raises(RuntimeError) as failed:
        with TestClient(app):
            pass
    assert 'templates_dir' in str(failed.value) and repr(missing) in str(failed.value)
    with TestClient(make_app(pages)) as client:                    # a folder that exists
        assert client.get('/hello/Ann').status_code == 200
    monkeypatch.chdir(tmp_path)                                    # no ./templates
    with TestClient(App()) as client:                              # the default may be absent
        assert client.get('/').status_code == 404
    with TestClient(make_app('pkg_with_templates:templates')):     # a package folder: not checked
        pass


def test_plugdot_run_reports_a_missing_templates_dir_before_serving(tmp_path):
    import subprocess
    from support import free_port
    (tmp_path / 'site.py').write_text("from plugdot import App\n"
                                      "app = App(config={'templates_dir': 'pages'})\n")
    result = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'run', 'site.py:app',
                             '--port', str(free_port())], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and 'serving on' not in result.stdout
    assert ("could not start: ValueError: templates_dir: 'pages' is not a folder"
            in result.stderr), result.stderr


def test_a_missing_default_folder_is_named_when_a_page_needs_it(tmp_path, monkeypatch, caplog):
    # Not at startup (an app with the plugin installed may render nothing),
    # but the first render says what to do.
    monkeypatch.chdir(tmp_path)
    app = App()

    @app.get('/')
    async def index(request):
        return render_template('index.html')
    with caplog.at_level(logging.ERROR, logger='plugdot'), TestClient(app) as client:
        r = client.get('/')
    assert r.status_code == 500
    assert ("template index.html not found (searched templates): 'templates' is not a folder "
            "(from %s): create it, or set templates_dir" % tmp_path) in caplog.text
