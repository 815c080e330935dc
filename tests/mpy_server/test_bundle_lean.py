"""`plugdot bundle`'s board edition made smaller for `.mpy` files: each
option runs the bundle under the real MicroPython unix port (both lanes)."""
import re
import subprocess
import sys

import httpx
from board_support import bundle, run_board, stop
from support import ROOT

BROKEN = '''from plugdot import App
app = App()


@app.get('/boom')
async def boom(request):
    return 1 // 0


@app.get('/bad')
async def bad(request):
    return object()
'''


def check(tmp_path, exe, *args):
    out, shown = bundle(tmp_path, 'broken', BROKEN, '--no-plugins', '--check', '--heap', '512k',
                        '--micropython', exe, *args, ok=False)
    assert 'FAIL GET /boom -> 500' in shown and 'check: FAILED' in shown, shown
    return out, shown


def test_the_library_has_no_line_numbers_and_tracebacks_still_lead_to_it(tmp_path,
                                                                          micropython_exe):
    """By default the library modules are compiled without line tables
    (mpy-cross -O3): the board says `line 1` in them, bundle.map says where
    the function it names is; the app keeps its line numbers."""
    out, shown = check(tmp_path, micropython_exe)
    # the app's own line; the library's functions placed by bundle.map
    assert 'File "broken.py", line 7, in boom' in shown, shown
    assert re.search(r'File "plugdot/__init__.py", line 1 \[plugdot/app.py, def dispatch at '
                     r'line \d+\], in dispatch', shown), shown
    assert 'TypeError: handler bad returned object' in shown
    mapping = (out / 'bundle.map').read_text()
    assert re.search(r'^def plugdot/__init__.py dispatch plugdot/app.py \d+$', mapping, re.M)
    assert 'def plugdot_mpy_server/__init__.py ' in mapping
    # private names are short on the board; the map gives each function's source name
    renamed = re.findall(r'^def \S+ (_\w+) \S+ \d+ (_\w+)$', mapping, re.M)
    assert len(renamed) > 20 and all(len(new) < len(old) for new, old in renamed)
    assert 'broken.py' not in mapping  # the app keeps its lines: no rows needed


def test_lines_keeps_the_line_numbers_of_the_library(tmp_path, micropython_exe):
    out, shown = check(tmp_path, micropython_exe, '--lines')
    line = re.search(r'File "plugdot/__init__.py", line (\d+) \[plugdot/app.py, line (\d+)\], '
                     r'in dispatch', shown)
    assert line and int(line.group(1)) > 1, shown
    source = (ROOT / 'packages' / 'core' / 'src' / 'plugdot' / 'app.py').read_text()
    above = source.split('\n')[:int(line.group(2))]
    defs = [re.match(r'\s*(async )?def (\w+)', text) for text in above]
    assert [d.group(2) for d in defs if d][-1] == 'dispatch'  # the line is in dispatch
    assert '\ndef ' not in (out / 'bundle.map').read_text()
    assert (out / 'plugdot' / '__init__.mpy').stat().st_size > 0


HELLO = '''from plugdot import App
app = App()


@app.get('/')
async def index(request):
    return 'hello'
'''


def test_main_py_is_the_makers_and_its_code_is_in_plugdot_main(tmp_path, micropython_exe):
    """main.py only calls plugdot_main.run() (compiled and frozen with the
    bundle); a maker's lines before it run first, and load()/run(app) let
    the app grow a route before it serves."""
    out, _ = bundle(tmp_path, 'hello', HELLO, '--no-plugins')
    main = (out / 'main.py').read_text()
    assert main.rstrip().endswith('from plugdot_main import run\n\nrun()') and len(main) < 400
    assert (out / 'plugdot_main.mpy').exists() and "'plugdot_main.mpy'" in (
        out / 'manifest.py').read_text()
    # the server is merged into its package as before (plugdot_main imports it in load())
    assert 'plugdot_mpy_server/__init__.py 1-' not in (out / 'bundle.map').read_text()
    assert 'plugdot_mpy_server/server.py' in (out / 'bundle.map').read_text()
    (out / 'main.py').write_text(
        'print("wifi: connected")\n'
        'from plugdot_main import load, run\n'
        'app = load()\n\n\n'
        '@app.get("/extra")\n'
        'async def extra(request):\n'
        '    return "extra"\n'
        'run(app)\n')
    proc, url = run_board(micropython_exe, out, '256k')
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            assert c.get('/').text == 'hello'
            assert c.get('/extra').text == 'extra'
    finally:
        shown = stop(proc)
    assert shown.startswith('wifi: connected')


# Two library modules and an app: what renaming private names must keep working.
LIB = '''
import io


class _Base:
    __slots__ = ('_slot',)

    def __init__(self):
        self._slot = 1


class Thing(_Base):
    def __init__(self, _value=2):
        super().__init__()
        self._value = _value
        self._reached = 'by getattr'
        self._shown = 'shown'

    def _double(self, _times=2):
        return self._value * _times

    def total(self):
        return self._double(_times=3) + self._slot + getattr(self, '_private_' + 'x', 0)

    def named(self):
        return getattr(self, '_reached'), f'{self._shown}'


class Buffer(io.BytesIO):  # a base the bundle does not define: its names stay
    def _grow(self):
        return 'grown'
'''
OTHER = '''
from lib import Thing, _Base


def _make(_value):
    return Thing(_value=_value)


def run():
    thing = _make(5)
    return thing.total(), thing.named(), isinstance(thing, _Base)
'''
APP_TEXT = '''
import other
from lib import Buffer
print(other.run(), Buffer()._grow(), other._make(1)._app_named)
'''


def test_private_names_are_renamed_consistently_and_only_where_safe(tmp_path, micropython_exe):
    from plugdot_mpy_server.names import plan, rename
    texts = {'lib': LIB, 'other': OTHER, 'app': APP_TEXT}
    renames = plan(texts, ['lib', 'other'], ['app'], ['lib', 'other', 'app'])
    # renamed: private definitions, parameters (with the keywords that pass them), attributes
    for name in ('_Base', '_double', '_times', '_value'):
        assert name in renames and len(renames[name]) < len(name), name
    # kept: in a string (getattr, __slots__), a prefix of a built name, an f-string,
    # a method of a class with a foreign base, what the app names
    for name in ('_reached', '_slot', '_private_x', '_shown', '_grow', '_make', '_app_named'):
        assert name not in renames, name
    assert len(set(renames.values())) == len(renames)
    assert '_double' not in plan(texts, ['lib', 'other'], ['app'], [], keep=['_double'])
    for name, text in texts.items():
        (tmp_path / (name + '.py')).write_text(rename(text, renames) if name != 'app' else text)
    assert rename(LIB, renames).count('\n') == LIB.count('\n')  # line for line
    lines = []
    for exe in (micropython_exe, sys.executable):
        done = subprocess.run([exe, 'app.py'], cwd=tmp_path, capture_output=True, text=True,
                              timeout=30)
        lines.append(done.stdout + done.stderr)
    # the app reads an attribute the library never binds: an AttributeError, on both
    assert all('_app_named' in out and 'AttributeError' in out for out in lines), lines
    APP_OK = APP_TEXT.replace(', other._make(1)._app_named', '')
    (tmp_path / 'app.py').write_text(APP_OK)
    for exe in (micropython_exe, sys.executable):
        done = subprocess.run([exe, 'app.py'], cwd=tmp_path, capture_output=True, text=True,
                              timeout=30)
        assert done.stdout.strip() == "(16, ('by getattr', 'shown'), True) grown", done.stdout + \
            done.stderr
