"""Run by test_flood.py under MicroPython: ``micropython half_made.py ROOT``.

Waits are queued through the server's I/O queue (plugdot_mpy_server.server
._IOQueue) with the heap filled to a few blocks short, many times over, so
that the poller's register() fails at every step it can fail in, the one
between its two steps included (which leaves MicroPython's poller with a
half-made entry: the next poll crashes the process). Prints ``mended N of
M`` (N: waits refused with a MemoryError) when every poll after them ran."""
import asyncio
import gc
import socket
import sys

root = sys.argv[1]
sys.path.insert(0, root + '/packages/mpy-server/src')
sys.path.insert(0, root + '/packages/core/src')
import plugdot_mpy_server.server  # noqa: E402, F401 (sys.modules below)

server = sys.modules['plugdot_mpy_server.server']


class Waiter:  # a task as the queue sees it: its data links it to the queue (a slot, as a Task's)
    def __init__(self):
        self.data = None


def main():
    # (a function: a name first stored at module level would grow the
    # module's dict, an allocation on the full heap)
    queue = server._IOQueue(asyncio.core.IOQueue())
    asyncio.core.cur_task = Waiter()
    refused = attempts = 0
    hold = queued = free = None
    for attempt in range(120):
        s = socket.socket()
        gc.collect()
        if server._reserve is None:  # made while there is room, as in a server (see _enqueue)
            server._reserve = bytearray(server._RESERVE)
        hold = None
        try:
            while True:
                hold = (hold,)  # a chain of 1-tuples: one block each, to the last
        except MemoryError:
            pass
        free = attempt % 8  # 0-7 blocks free for the wait to take
        while free:
            hold = hold[0]
            free -= 1
        try:
            queue._enqueue(s, attempt % 2)
            queued = True
        except MemoryError:
            queued = False
            refused += 1
        hold = None
        gc.collect()
        # map and poller agree: the socket is in both or in neither
        assert (id(s) in queue.map) == queued
        queue.poller.poll(0)  # a half-made entry left behind would crash here
        if queued:
            queue._dequeue(s)
        assert not queue.map
        queue.poller.poll(0)
        s.close()
        attempts += 1
    return refused, attempts


print('mended %d of %d' % main())
