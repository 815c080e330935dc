"""The server's deadlines across a wrap of the board's tick counter.
Portable: runs under CPython and MicroPython."""
import sys

from plugdot_mpy_server.server import _deadline, _left

MICROPYTHON = sys.implementation.name == 'micropython'


def test_deadlines_survive_the_tick_counter_wrapping():
    assert _left(_deadline(-0.1)) < 0 < _left(_deadline(5)) <= 5
    if MICROPYTHON:
        import time
        # ticks_ms() wraps (every 2**30 ms, 12.4 days, on a 32-bit board;
        # 2**62 on the 64-bit unix port). A deadline is a tick value, so
        # ticks_diff reads it right even when it lies past the wrap.
        last = time.ticks_add(0, -1)  # the largest tick value
        deadline = _deadline(5)
        assert 0 <= deadline <= last
        assert 4900 <= time.ticks_diff(deadline, time.ticks_ms()) <= 5000
        just_before_wrap = last - 50
        past_wrap = time.ticks_add(just_before_wrap, 5000)
        assert past_wrap < just_before_wrap  # a plain `>=` would call it long passed
        assert time.ticks_diff(past_wrap, just_before_wrap) == 5000
        assert time.ticks_diff(just_before_wrap, past_wrap) == -5000
