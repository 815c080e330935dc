"""Long error messages lifted out of a board's library modules, settings'
help texts emptied (plugdot_mpy_server.messages): what is lifted, what
stays, that lines keep their numbers and that the board raises the same text."""
import subprocess
import sys

import httpx


from plugdot_mpy_server.messages import FETCH, lift, module_text
from board_support import bundle, run_board

LIB = '''"""A library module."""
from .errors import PluginError, HTTPError

HINT = 'a module-level string that is long enough but is no raised message'


def check(value):
    if value == 1:
        raise TypeError('value 1 is not allowed here: pass 2 or more, or leave it out')
    if value == 2:
        raise PluginError('plugin %r declares value %d, which another plugin declares '
                          'already: rename one of them' % ('p', value))
    if value == 3:
        raise ValueError('too short: %d' % value)
    if value == 4:
        raise HTTPError(400, 'a bad request from the client, answered many times')
    if value == 5:
        raise AttributeError('no attribute here, and getattr() asks this very often')
    if value == 6:
        raise TypeError('value 1 is not allowed here: pass 2 or more, or leave it out')
    return HINT


def plugdot_settings():
    return {'limit': (10, 'Most things kept (a help text the board never shows).'),
            'name': ('x',
                     'A name. '
                     'Long.')}


class Thing:
    def run(self, n):
        raise RuntimeError(
            'Thing.run(%d) must not be called while the thing is not started' % n)
'''

ERRORS = '''class PluginError(Exception):
    pass


class HTTPError(Exception):
    pass
'''


def test_long_messages_of_raised_mistakes_are_lifted_line_for_line():
    texts, messages = lift({'pkg.lib': LIB, 'app': 'raise TypeError("' + 'x' * 40 + '")'},
                           ['pkg.lib'])
    assert set(texts) == {'pkg.lib'}  # the app is never touched
    lib = texts['pkg.lib']
    assert messages == [  # in the order they are written, once each
        'value 1 is not allowed here: pass 2 or more, or leave it out',
        'plugin %r declares value %d, which another plugin declares already: rename one of them',
        'Thing.run(%d) must not be called while the thing is not started']
    assert lib.count('\n') == LIB.count('\n')
    for line, text in zip(lib.splitlines(), LIB.splitlines()):  # noqa: B905 (same count, asserted)
        if 'raise' in text or 'def ' in text:  # statements start where they started
            assert line.split('(')[0] == text.split('(')[0]
    assert lib.count("__import__('plugdot_bundled').message(0)") == 2
    # short messages, client errors, AttributeError and module-level strings stay
    for kept in ("'too short: %d'", 'a bad request from the client', 'getattr() asks',
                 "HINT = 'a module-level string"):
        assert kept in lib, kept
    for gone in ('is not allowed here', 'rename one of them', 'must not be called'):
        assert gone not in lib, gone
    # settings keep their names and defaults; their help texts are empty on a board
    assert "{'limit': (10, '')," in lib and "'name': ('x'," in lib
    assert 'help text' not in lib and 'A name.' not in lib


def test_lifted_messages_read_the_same(tmp_path):
    texts, messages = lift({'pkg.lib': LIB}, ['pkg.lib'])
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg' / '__init__.py').write_text('')
    (tmp_path / 'pkg' / 'errors.py').write_text(ERRORS)
    (tmp_path / 'pkg' / 'lib.py').write_text(texts['pkg.lib'])
    (tmp_path / 'plugdot_bundled.py').write_text(FETCH)
    (tmp_path / 'plugdot_messages.py').write_text(module_text(messages))
    (tmp_path / 'original.py').write_text(LIB.replace('from .errors', 'from pkg.errors'))
    script = '''import sys
import original
from pkg import lib
for value in (1, 2, 3, 6):
    for module in (original, lib):
        try:
            module.check(value)
        except Exception as exc:
            print(type(exc).__name__, exc)
for module in (original, lib):
    try:
        module.Thing().run(7)
    except RuntimeError as exc:
        print(exc)
print('plugdot_messages' in sys.modules)
print(lib.plugdot_settings() == {'limit': (10, ''), 'name': ('x', '')})
'''
    done = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2:] == ['False', 'True']  # fetched, then forgotten; settings' help empty
    pairs = lines[:-2]
    assert len(pairs) == 10 and all(pairs[i] == pairs[i + 1] for i in range(0, 10, 2)), pairs
    assert 'Thing.run(7) must not be called' in pairs[-1]


BAD = '''
from plugdot import App

app = App()


@app.get('/bad')
async def bad(request):
    return object()


@app.get('/help')
async def settings_help(request):
    return app.config.help


@app.get('/loaded')
async def loaded(request):
    import sys
    return str('plugdot_messages' in sys.modules)
'''


def test_a_bundle_raises_lifted_messages_on_the_board(tmp_path, micropython_exe):
    out, report = bundle(tmp_path, 'bad', BAD, '--no-plugins')
    assert 'plugdot_messages.mpy' in report
    message = b'which plugdot cannot send; return str, bytes'
    assert message not in (out / 'plugdot' / '__init__.mpy').read_bytes()
    assert message in (out / 'plugdot_messages.mpy').read_bytes()
    assert 'plugdot_messages' not in (out / 'manifest.py').read_text().split('freeze')[0]
    proc, url = run_board(micropython_exe, out, '192k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            assert c.get('/loaded').text == 'False'
            assert c.get('/bad').status_code == 500
            assert c.get('/loaded').text == 'False'  # loaded for the error only
            assert c.get('/bad').status_code == 500
            # the settings are all there, without their help texts
            assert c.get('/help').json() == dict.fromkeys(
                ['debug', 'max_body_size', 'max_header_count', 'max_header_size',
                 'max_json_depth', 'secret_key'], '')
    finally:
        proc.kill()
        proc.wait(5)
    log = proc.stdout.read().decode()
    assert log.count("TypeError: handler bad returned object, which plugdot cannot send; return "
                     'str, bytes, a dict or list, None, a Response') == 2, log
