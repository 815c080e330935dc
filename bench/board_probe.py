"""Which part of the sessions + WebSocket workload sets the smallest heap,
and where it fails (issue 17): a companion of board_heap.py.

Builds bench/bundle.py's sessions + WebSocket app as a bundle of this
checkout, frozen into a 32-bit unix port from MicroPython's source
($PLUGDOT_MICROPYTHON_SRC), then serves, at each heap size given, one of
three workloads a few times and prints pass/fail per run:

* ``full`` — bench/bundle.py's (what board_heap.py's smallest heap uses):
  100 requests, every other one a session read and write, ten WebSocket
  echoes half-way;
* ``sess`` — the same without the WebSocket;
* ``ws`` — the same without sessions (the WebSocket half-way, GET / else).

The smallest heap of a board is set by fragmentation more than by the bytes
in use (a MemoryError names the block it could not find: ``-v`` prints the
server's output of a failed run). The same firmware and workload fail or
pass the same way run after run, but one heap size may fail where the next
smaller one passes, which is why board_heap.py's binary search reads ±1 KB.

Usage: python bench/board_probe.py [--work full|sess|ws] [--tries N] [--mpy] [-v] KB...
(``--mpy``: the bundle's .mpy files on the plain 32-bit port instead of frozen)
"""
import os
import sys
import tempfile

from bundle import (FULL, BundleTarget, build_port, only_main, plugdot_bundle,
                    use_session_and_websocket)
from mpy_server import stop


def main():
    args = sys.argv[1:]
    kind = args[args.index('--work') + 1] if '--work' in args else 'full'
    tries = int(args[args.index('--tries') + 1]) if '--tries' in args else 2
    verbose = '-v' in args
    heaps = [int(a) for i, a in enumerate(args)
             if a.isdigit() and (i == 0 or args[i - 1] not in ('--work', '--tries'))]
    work = tempfile.mkdtemp(prefix='boardprobe-')
    bundle_dir, size = plugdot_bundle(work, 'full', FULL, ['sessions', 'websocket'])
    if '--mpy' in args:
        target = BundleTarget('full', bundle_dir, exe=build_port(os.path.join(work, 'mp32')))
    else:
        firmware = build_port(os.path.join(work, 'fw-full'),
                              os.path.join(bundle_dir, 'manifest.py'))
        target = BundleTarget('full', only_main(work, 'frozen-full', bundle_dir), exe=firmware)
    print('sessions + WebSocket bundle, %d bytes of .mpy; workload %s' % (size, kind))
    for heap in heaps:
        runs = []
        for _ in range(tries):
            url, proc = target.start('%dk' % heap)
            ok = False
            try:
                ok = (url is not None and use_session_and_websocket(url, 100, kind != 'ws', kind != 'sess', verbose)
                      and proc.poll() is None)
            finally:
                stop(proc)
                out = proc.stdout.read().decode(errors='replace')
            runs.append('pass' if ok else 'FAIL')
            if not ok and verbose:
                print('\n'.join('  | ' + line for line in out.splitlines()
                                if 'HTTP/1.1" 200' not in line)[-1500:])
        print('%3d KB: %s' % (heap, ' '.join(runs)))


if __name__ == '__main__':
    main()
