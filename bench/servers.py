"""Each framework end to end under uvicorn and hypercorn (one worker each),
loaded by wrk on 127.0.0.1, side by side in one run. Reports requests/s and
the fraction of raw ASGI's requests/s under the same server.

With ``--rounds N`` the frameworks take turns N times and the best of each
is kept (on a shared machine, so that a busy moment hits all alike).

Usage: python bench/servers.py [--duration 3] [--connections 32] [--rounds 1]
Needs wrk (Debian: apt-get install wrk)."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import apps

HERE = os.path.dirname(os.path.abspath(__file__))
PATHS = ('/', '/users/42')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_ready(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode()[-2000:] if proc.stdout else ''
            raise RuntimeError('server exited early: %s' % out)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('server did not start')


def wrk(url, duration, connections):
    out = subprocess.run(['wrk', '-t1', '-c%d' % connections, '-d%ds' % duration, url],
                         capture_output=True, text=True, timeout=duration + 30).stdout
    rate = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if errors:
        raise RuntimeError('%s answered %s errors' % (url, errors.group(1)))
    return rate


def run(framework, server, duration, connections):
    port = free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, 'serve_one.py'), framework,
                             server, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        wrk('http://127.0.0.1:%d/' % port, 1, connections)  # warm up
        return [wrk('http://127.0.0.1:%d%s' % (port, p), duration, connections) for p in PATHS]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--duration', type=int, default=3)
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--servers', nargs='*', default=['uvicorn', 'hypercorn'])
    parser.add_argument('--only', nargs='*')
    parser.add_argument('--rounds', type=int, default=1)
    args = parser.parse_args()
    if not shutil.which('wrk'):
        sys.exit('wrk is needed: apt-get install wrk')
    for server in args.servers:
        results = {}
        for _ in range(args.rounds):
            for framework in apps.FRAMEWORKS:
                if args.only and framework not in args.only and framework != 'raw ASGI':
                    continue
                try:
                    got = run(framework, server, args.duration, args.connections)
                except Exception as exc:
                    print('%s under %s failed: %s' % (framework, server, exc), file=sys.stderr)
                    continue
                best = results.get(framework, got)
                results[framework] = (max(got[0], best[0]), max(got[1], best[1]))
        raw = results['raw ASGI']
        print('\n%s, 1 worker, wrk -c%d -d%ds, best of %d' % (server, args.connections,
                                                              args.duration, args.rounds))
        print('%-12s %12s %12s %10s %10s' % ('framework', 'hello req/s', 'param req/s',
                                             'hello×raw', 'param×raw'))
        for name, (h, p) in sorted(results.items(), key=lambda kv: -kv[1][0]):
            print('%-12s %12.0f %12.0f %10.2f %10.2f' % (name, h, p, h / raw[0], p / raw[1]))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
