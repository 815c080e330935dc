"""Fixtures shared by every test directory."""
import subprocess
import sys

import pytest
from support import ROOT, free_port, wait_for_port


@pytest.fixture
def serve_cli():
    """Start ``plugdot run TARGET`` on a free 127.0.0.1 port; yield its base URL.
    The server is stopped when the test ends."""
    procs = []

    def start(target, *extra):
        port = free_port()
        proc = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run', target,
                                 '--host', '127.0.0.1', '--port', str(port), *extra],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_for_port(port, proc)
        return 'http://127.0.0.1:%d' % port
    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
