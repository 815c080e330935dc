"""Helpers shared by the tests that start real servers on 127.0.0.1."""
import socket
import time


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
