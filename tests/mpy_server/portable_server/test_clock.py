"""The server's deadlines across a wrap of the board's tick counter.
Portable: runs under CPython and MicroPython."""
import sys

from plugdot_mpy_server.server import _left, _now

MICROPYTHON = sys.implementation.name == 'micropython'


def test_deadlines_survive_the_tick_counter_wrapping():
    assert _left(_now() - 0.1) < 0 < _left(_now() + 5) <= 5
    if MICROPYTHON:
        import time
        # ticks_ms() wraps every 2**30 ms (12.4 days). A deadline computed
        # just before the wrap is a number past it: 0.1 s ago and 5 s ahead
        # must still read as such, or the watchdog never expires the I/O.
        wrap = 1 << 30
        assert _left((time.ticks_ms() - 100 + wrap) / 1000) < 0
        assert 4 < _left((time.ticks_ms() + 5000 + wrap) / 1000) <= 5
