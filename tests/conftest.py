"""Fixtures shared by every test directory."""
import sys

import pytest
from support import LANES, build_micropython, free_port, micropython, start_server, stop


@pytest.fixture
def serve_cli():
    """Start ``plugdot run TARGET`` on a free 127.0.0.1 port; yield its base URL.
    The server is stopped when the test ends."""
    procs = []

    def start(target, *extra):
        port = free_port()
        procs.append(start_server([sys.executable, '-m', 'plugdot.cli', 'run', target,
                                   '--host', '127.0.0.1', '--port', str(port), *extra], port))
        return 'http://127.0.0.1:%d' % port
    yield start
    for proc in procs:
        stop(proc)


@pytest.fixture(scope='session', params=LANES)
def mpy_lane(request):
    """Each MicroPython lane in turn: ``'pip'`` (the wheel's unix port) and
    ``'32bit'`` (built from $PLUGDOT_MICROPYTHON_SRC)."""
    return request.param


@pytest.fixture(scope='session')
def micropython_exe(mpy_lane):
    """The MicroPython executable of the lane (built once per source)."""
    return micropython(mpy_lane)


def pytest_collection_finish(session):
    """Build the 32-bit MicroPython (once per source, cached) before any test
    runs when a collected test needs it, so that the build does not count
    against a test's timeout."""
    needed = any(getattr(item, 'callspec', None) is not None
                 and item.callspec.params.get('mpy_lane') == '32bit' for item in session.items)
    if needed:
        try:
            build_micropython()
        except pytest.skip.Exception:
            pass
