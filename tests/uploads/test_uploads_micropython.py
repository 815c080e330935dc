"""The multipart corpus under the real MicroPython unix port, in a heap of
its own (a 10,000-part body needs one contiguous 740 KB buffer)."""
import pathlib
import re
import subprocess

from support import micropython

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_corpus_passes_under_micropython():
    proc = subprocess.run(
        [micropython(), '-X', 'heapsize=4m', str(ROOT / 'tests' / 'mpy' / 'run_portable.py'), str(ROOT),
         'portable_uploads.test_corpus'], capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    summary = re.search(r'portable: (\d+) passed, (\d+) failed', out)
    assert summary, out[-3000:]
    expected = len(re.findall(r'^def test_', (ROOT / 'tests' / 'uploads' / 'portable_uploads'
                                              / 'test_corpus.py').read_text(), re.M))
    assert (int(summary.group(1)), int(summary.group(2))) == (expected, 0), out[-5000:]
