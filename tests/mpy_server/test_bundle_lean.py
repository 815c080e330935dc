"""`plugdot bundle`'s board edition made smaller for `.mpy` files: each
option runs the bundle under the real MicroPython unix port (both lanes)."""
import re
import subprocess
import sys

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
    app = tmp_path / 'broken.py'
    app.write_text(BROKEN)
    out = tmp_path / 'board'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app), '-o', str(out),
                           '--no-plugins', '--check', '--heap', '512k', '--micropython', exe,
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1 and 'FAIL GET /boom -> 500' in done.stdout, done.stdout
    return out, done.stdout


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
