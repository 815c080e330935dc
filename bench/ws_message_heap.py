"""The heap a WebSocket message costs on a 32-bit board: for each message
size, the smallest heap in which bench/bundle.py's sessions + WebSocket app
echoes a text message of that size three times on one connection and once
on a second one, frozen and from .mpy files (the table of docs/websocket.md,
"Message size on a board").

Builds the bundle of this checkout with a raised ``max_ws_message`` (so the
heap, not the limit, decides), a 32-bit unix port from MicroPython's source
($PLUGDOT_MICROPYTHON_SRC, default ../shared/micropython) and one with the
bundle frozen. A few minutes.

Usage (from the repository root): python bench/ws_message_heap.py [SIZE ...]
(default 100 1024 2048 4096 8192 16384)
"""
import os
import sys
import tempfile

from bundle import FULL, BundleTarget, build_port, only_main, plugdot_bundle
from websockets.sync.client import connect

SIZES = [int(n) for n in sys.argv[1:]] or [100, 1024, 2048, 4096, 8192, 16384]


def echoes(target, heap, n):
    """True if *target* started in *heap* echoes an *n*-byte text message
    three times, then once more on a new connection, and is still running."""
    url, proc = target.start('%dk' % heap)
    try:
        if url is None:
            return False
        message = 'x' * n
        for repeat in (3, 1):
            with connect(url.replace('http', 'ws') + '/ws', open_timeout=5, max_size=None) as ws:
                for _ in range(repeat):
                    ws.send(message)
                    if ws.recv(timeout=10) != message:
                        return False
        return proc.poll() is None
    except Exception:
        return False
    finally:
        proc.kill()
        proc.wait(5)


def smallest_heap(target, n, lo, hi=320):
    """The smallest heap in KB (to 2 KB) that echoes *n* bytes, or None."""
    if not echoes(target, hi, n):
        return None
    while hi - lo > 2:
        mid = (lo + hi) // 2
        if echoes(target, mid, n):
            hi = mid
        else:
            lo = mid
    return hi


def main():
    work = tempfile.mkdtemp(prefix='ws-heap-')
    out, _ = plugdot_bundle(work, 'full', FULL, ['sessions', 'websocket'])
    # The limit raised: what is measured is the heap a message needs.
    with open(os.path.join(out, 'main.py')) as f:
        text = f.read()
    assert text.rstrip().endswith('\nrun()'), 'main.py no longer ends with run()'
    with open(os.path.join(out, 'main.py'), 'w') as f:
        f.write(text.rstrip()[:-len('run()')] + 'from plugdot_mpy_server import Limits\n'
                'run(limits=Limits(max_ws_message=1 << 20))\n')
    mp32 = build_port(os.path.join(work, 'mp32'))
    firmware = build_port(os.path.join(work, 'fw-full'), os.path.join(out, 'manifest.py'))
    targets = (('frozen', BundleTarget('full', only_main(work, 'ff', out), exe=firmware), 16),
               ('.mpy files', BundleTarget('full', out, exe=mp32), 64))
    print('smallest heap that echoes a text message (sessions + WebSocket app, 32-bit):')
    print('%10s  %10s  %10s' % ('message', 'frozen', '.mpy files'))
    for n in SIZES:
        cells = []
        for _, target, lo in targets:
            kb = smallest_heap(target, n, lo)
            cells.append('%d KB' % kb if kb else '> 320 KB')
        print('%8d B  %10s  %10s' % (n, cells[0], cells[1]), flush=True)


if __name__ == '__main__':
    main()
