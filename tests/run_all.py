"""Run the whole test suite on every CPython of 3.10-3.13 that this machine has.

The README's test command (``python3 -m pip install 'hatch>=1.18' && python3
tests/run_all.py``) and CI's. Each interpreter
runs in its own hatch environment (``hatch test -py X``, MicroPython lane
included); a failure on one does not stop the others. It says which
interpreters are missing, and fails when none is present -- or, under CI
(``CI=true``), when any is missing: CI tests all four. The last line is the
total over every interpreter: ``total: N passed, M failed``.
"""
import os
import re
import shutil
import subprocess
import sys

VERSIONS = ('3.13', '3.12', '3.11', '3.10')
# pytest's closing line, with its ===== frame or, under -q, without one.
_SUMMARY = re.compile(r'^(?:=+ )?(\d+ (?:passed|failed|errors?|skipped|deselected)\b.*) in '
                      r'[0-9.]+s')


def available(version):
    """True if ``python<version>`` runs here (pyenv shims exist for every
    installed version, so run it rather than trust ``which``)."""
    exe = shutil.which('python' + version)
    if exe is None:
        return False
    try:
        return subprocess.run([exe, '-c', 'pass'], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def counts(summary):
    """``(passed, failed)`` from a pytest summary such as '3 failed, 40 passed'."""
    found = dict((word, int(n)) for n, word in re.findall(r'(\d+) (\w+)', summary))
    return found.get('passed', 0), found.get('failed', 0) + found.get('errors', 0) + \
        found.get('error', 0)


def run(version, args):
    """Run the suite under *version*, echoing its output; return
    ``(exit status, summary line)``."""
    command = [sys.executable, '-m', 'hatch', 'test', '-py', version, '--',
               '-p', 'no:cacheprovider', *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    summary = ''
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        match = _SUMMARY.search(line)
        if match:
            summary = match.group(1)
    return proc.wait(), summary


def main(args):
    present = [v for v in VERSIONS if available(v)]
    missing = [v for v in VERSIONS if v not in present]
    if missing:
        print('run_all: CPython %s not found here: not tested' % ', '.join(missing))
    if not present:
        print('run_all: none of CPython %s is installed' % ', '.join(VERSIONS))
        return 1
    results = []
    for version in present:
        print('run_all: CPython %s' % version, flush=True)
        results.append((version,) + run(version, args))
    total_passed = total_failed = 0
    print()
    for version, status, summary in results:
        passed, failed = counts(summary)
        if status != 0 and failed == 0:
            failed = 1  # the run itself failed (collection, environment)
        total_passed += passed
        total_failed += failed
        print('run_all: CPython %s: %s (exit %d)' % (version, summary or 'no summary', status))
    ok = total_failed == 0 and all(status == 0 for _, status, _ in results)
    if missing and os.environ.get('CI') == 'true':
        print('run_all: CI tests every interpreter, and %s missing' % ', '.join(missing))
        ok = False
    print('total: %d passed, %d failed' % (total_passed, total_failed))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
