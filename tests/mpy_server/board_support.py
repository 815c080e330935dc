"""Bundling an app with the real ``plugdot bundle`` and starting it as a
board would (the MicroPython unix port in the bundle's folder, ``main.py``):
the steps the bundle tests share."""
import os
import socket
import subprocess
import sys
import time

from support import ROOT, free_port, wait_for_port


def bundle(tmp_path, name, source, *args, ok=True, cwd=ROOT):
    """Write *source* as ``tmp_path/name.py`` and bundle it (*args* go to
    ``plugdot bundle``) into ``tmp_path/board-name``; return (that folder,
    what the command printed). *ok*: the command must succeed."""
    app_file = tmp_path / (name + '.py')
    app_file.write_text(source)
    out = tmp_path / ('board-' + name)
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app_file), '-o',
                           str(out), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout + (done.stderr if not ok else '')


def files_of(out):
    """The files of a bundle, relative to it."""
    return sorted(str(p.relative_to(out)) for p in out.rglob('*') if p.is_file())


def run_board(exe, out, heap, **env):
    """Start ``main.py`` of the folder *out* under the unix port *exe* with
    *heap*, as a board would (its current folder is the bundle's); return
    (process, base URL) once it listens. The caller kills the process."""
    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1', **env)
    proc = subprocess.Popen([exe, '-X', 'heapsize=%s' % heap, 'main.py'], cwd=out, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    return proc, 'http://127.0.0.1:%d' % port


def stop(proc):
    """Kill a board process; return what it printed."""
    proc.kill()
    proc.wait(5)
    return proc.stdout.read().decode('utf-8', 'replace')


def start_with(exe, folder, heap_kb, seconds=10):
    """Run ``main.py`` of *folder* with *heap_kb* KB of heap: ``('serving',
    output)`` once it listens (then killed), else ``(exit status, output)``."""
    port = free_port()
    env = dict(os.environ, PLUGDOT_PORT=str(port), PLUGDOT_HOST='127.0.0.1')
    proc = subprocess.Popen([exe, '-X', 'heapsize=%dk' % heap_kb, 'main.py'], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return 'serving', stop(proc)
        except OSError:
            time.sleep(0.02)
    if proc.poll() is None:
        return 'hung', stop(proc)
    return proc.returncode, proc.stdout.read().decode('utf-8', 'replace')


def heap_band(exe, folder, heaps):
    """``start_with`` for each heap in *heaps* (KB, rising) until one serves:
    the list of (heap, status, output)."""
    runs = []
    for kb in heaps:
        status, output = start_with(exe, folder, kb)
        runs.append((kb, status, output))
        if status == 'serving':
            break
    return runs


def below_the_heap_it_needs(exe, folder, low=8, high=1024, step=4):
    """:func:`heap_band` from *low* KB up by *step* until it serves, then
    every KB of the last *step*: the sizes where loading succeeds but the
    server's set-up does not lie right below the heap that serves."""
    runs = heap_band(exe, folder, range(low, high + 1, step))
    assert runs[-1][1] == 'serving', runs[-1]
    top = runs[-1][0]
    return runs[:-1] + heap_band(exe, folder, range(max(low, top - step + 1), top + 1))


def too_small_is_one_line(runs):
    """The runs of :func:`heap_band` that did not keep the promise: below
    the heap that serves, one line (``plugdot: MemoryError while loading the
    app (N bytes of heap free): ...``) and exit status 1."""
    wrong = []
    for kb, status, output in runs:
        if status == 'serving':
            continue
        lines = output.strip().splitlines()
        if status != 1 or len(lines) != 1 or not lines[0].startswith(
                'plugdot: MemoryError while loading the app ('):
            wrong.append((kb, status, output[-600:]))
    return wrong
