"""The example app bundled with its templates compiled (``plugdot bundle
--plugin templates``), served by the mpy-server under the real MicroPython
unix port and checked from CPython against what Jinja2 renders for the same
app; a template outside the subset refuses the bundle."""
import os
import subprocess
import sys

import httpx

from plugdot.testing import TestClient
from support import ROOT, free_port, micropython, wait_for_port


def bundle(app_path, out, *extra):
    return subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_path),
                           '--plugin', 'templates', '-o', str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)


def cpython_app():
    import importlib.util
    spec = importlib.util.spec_from_file_location('templates_app_cpython',
                                                  ROOT / 'examples' / 'templates_app.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_bundled_templates_app_serves_the_same_pages_under_micropython(tmp_path):
    out = tmp_path / 'board'
    done = bundle('examples/templates_app.py', out)
    assert done.returncode == 0, done.stdout + done.stderr
    compiled = sorted(p.name for p in (out / 'plugdot_templates_compiled').iterdir())
    assert len(compiled) == 6 and all(n.endswith('.mpy') for n in compiled)  # 5 + index
    assert not list(out.rglob('*.html'))  # the board never parses template text
    assert not (out / 'plugdot_templates' / 'compiler.mpy').exists()
    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    proc = subprocess.Popen([micropython(), '-X', 'heapsize=256k', 'main.py'], cwd=out, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    reference = TestClient(cpython_app())
    try:
        wait_for_port(port, proc)
        with httpx.Client(base_url='http://127.0.0.1:%d' % port, timeout=10) as board:
            def same(method, path, **kw):
                got = board.request(method, path, **kw)
                want = reference.request(method, path, **{'form': kw['data']} if 'data' in kw
                                         else {})
                assert got.status_code == want.status_code, (path, got.text)
                assert got.text == want.text, path
                return got
            assert 'No messages yet' in same('GET', '/').text
            r = same('POST', '/contact', data={'name': '<script>alert(1)</script>', 'message': 'x'})
            assert r.status_code == 400
            assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in r.text
            assert '<script>alert' not in r.text
            assert same('POST', '/contact', data={'name': 'Ann', 'message': '"hi" & <bye>'}
                        ).status_code == 303
            assert '<li><b>Ann</b>: &#34;hi&#34; &amp; &lt;bye&gt;</li>' in same('GET', '/').text
            with board.stream('GET', '/report', params={'rows': 100}) as r:
                assert r.headers['transfer-encoding'] == 'chunked'
                chunks = list(r.iter_raw())
            body = b''.join(chunks).decode()
            assert body == reference.get('/report?rows=100').text
            assert body.count('<tr class=') == 100
    finally:
        proc.kill()
        proc.wait(5)


def test_a_template_outside_the_subset_refuses_the_bundle(tmp_path):
    (tmp_path / 'templates').mkdir()
    (tmp_path / 'templates' / 'ok.html').write_text('{{ x }}')
    (tmp_path / 'templates' / 'macro.html').write_text('<p>\n{% macro m() %}{% endmacro %}\n')
    app = tmp_path / 'app.py'
    app.write_text('from plugdot import App\n'
                   'app = App(config={"templates_dir": %r})\n' % str(tmp_path / 'templates'))
    (tmp_path / 'board').mkdir()
    (tmp_path / 'board' / 'previous.mpy').write_text('a previous bundle')
    done = bundle(app, tmp_path / 'board')
    assert done.returncode == 1
    assert 'macro.html:2: {% macro %} is not in the template subset' in done.stderr
    assert (tmp_path / 'board' / 'previous.mpy').exists()  # left alone
