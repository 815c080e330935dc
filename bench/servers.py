"""Each framework end to end under uvicorn and hypercorn (one worker each),
loaded by wrk on 127.0.0.1, side by side in one run. Reports requests/s and
the fraction of raw ASGI's requests/s under the same server.

With ``--rounds N`` the frameworks take turns N times and the best of each
is kept (on a shared machine, so that a busy moment hits all alike); each
framework's ratio to raw ASGI is also taken within each round, and their
min / median / max over the rounds printed: how much one round's ratio can
be trusted (the order is reversed every other round). Besides requests/s,
the server process's CPU time per request is read (psutil), and shown the
same way (raw ASGI's over the framework's): on a shared machine it moves
far less with the neighbours' load than requests/s.

``--sources DIR`` adds a row: plugdot served from the packages of another
checkout (DIR holds ``packages/*/src``, e.g. ``git archive 5852c79 packages
| tar -x -C DIR``, put first on ``PYTHONPATH``), taking turns with this
checkout's plugdot: a before/after comparison in the same run.

Usage: python bench/servers.py [--duration 3] [--connections 32] [--rounds 1]
                               [--servers uvicorn hypercorn] [--only plugdot] [--sources DIR]
Needs wrk (Debian: apt-get install wrk)."""
import argparse
import glob
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


def wrk(url, duration, connections, server=None):
    """Requests/s of wrk on *url*; with *server* (a psutil.Process) also the
    server's CPU µs per request over that run."""
    cpu = sum(server.cpu_times()[:2]) if server else 0
    out = subprocess.run(['wrk', '-t1', '-c%d' % connections, '-d%ds' % duration, url],
                         capture_output=True, text=True, timeout=duration + 30).stdout
    if server:
        cpu = sum(server.cpu_times()[:2]) - cpu
    rate = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if errors:
        raise RuntimeError('%s answered %s errors' % (url, errors.group(1)))
    if server is None:
        return rate
    return rate, cpu / int(re.search(r'(\d+) requests in', out).group(1)) * 1e6


def run(framework, server, duration, connections, sources=None):
    """Requests/s on each of PATHS of *framework* under *server*, then the
    server process's CPU µs per request on each; *sources*: a checkout whose
    plugdot packages to serve instead of this one's."""
    port = free_port()
    env = dict(os.environ)
    if sources:
        env['PYTHONPATH'] = os.pathsep.join(sorted(glob.glob(os.path.join(sources, 'packages',
                                                                          '*', 'src'))))
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, 'serve_one.py'), framework,
                             server, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        wait_ready(port, proc)
        wrk('http://127.0.0.1:%d/' % port, 1, connections)  # warm up
        import psutil
        server = psutil.Process(proc.pid)
        got = [wrk('http://127.0.0.1:%d%s' % (port, p), duration, connections, server)
               for p in PATHS]
        return [rate for rate, _ in got] + [cpu for _, cpu in got]
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
    parser.add_argument('--sources', metavar='DIR',
                        help="also plugdot from the packages of the checkout DIR")
    args = parser.parse_args()
    names = list(apps.FRAMEWORKS)
    other = None
    if args.sources:
        other = 'plugdot@' + os.path.basename(os.path.normpath(args.sources))
        names.insert(names.index('plugdot') + 1, other)
    if not shutil.which('wrk'):
        sys.exit('wrk is needed: apt-get install wrk')
    for server in args.servers:
        results, per_round = {}, []
        for i in range(args.rounds):
            this = {}
            per_round.append(this)
            # every other round in the reverse order: a trend over the run
            # (the machine getting busier) favours neither side
            for framework in names[::-1 if i % 2 else 1]:
                if (args.only and framework not in args.only
                        and framework not in ('raw ASGI', other)):
                    continue
                try:
                    if framework == other:
                        got = run('plugdot', server, args.duration, args.connections,
                                  args.sources)
                    else:
                        got = run(framework, server, args.duration, args.connections)
                    this[framework] = got
                except Exception as exc:
                    print('%s under %s failed: %s' % (framework, server, exc), file=sys.stderr)
                    continue
                best = results.get(framework, got)
                results[framework] = (max(got[0], best[0]), max(got[1], best[1]),
                                      min(got[2], best[2]), min(got[3], best[3]))
        raw = results['raw ASGI']
        print('\n%s, 1 worker, wrk -c%d -d%ds, best of %d' % (server, args.connections,
                                                              args.duration, args.rounds))
        print('%-16s %12s %12s %10s %10s' % ('framework', 'hello req/s', 'param req/s',
                                             'hello×raw', 'param×raw'))
        for name, (h, p, _, _) in sorted(results.items(), key=lambda kv: -kv[1][0]):
            print('%-16s %12.0f %12.0f %10.2f %10.2f' % (name, h, p, h / raw[0], p / raw[1]))
        # The server's CPU time per request: what it costs, whether or not
        # the server had a core to itself all along (on a shared machine the
        # requests/s move with the neighbours' load; this moves much less).
        # Shown as raw ASGI's over the framework's, like requests/s.
        print('server CPU µs per request (best of %d)' % args.rounds)
        for name, (_, _, h, p) in sorted(results.items(), key=lambda kv: kv[1][2]):
            print('%-16s %12.1f %12.1f %10.2f %10.2f' % (name, h, p, raw[2] / h, raw[3] / p))
        if args.rounds > 1:
            print('× raw ASGI within each round: min / median / max (hello; param), '
                  'requests/s then CPU per request')
            for name in results:
                spread = []
                for i in (0, 1, 2, 3):
                    ratios = sorted((r[name][i] / r['raw ASGI'][i]) ** (1 if i < 2 else -1)
                                    for r in per_round if name in r and 'raw ASGI' in r)
                    spread.append('%.2f / %.2f / %.2f' % (ratios[0], ratios[len(ratios) // 2],
                                                          ratios[-1]) if ratios else '—')
                print('%-16s req/s %s; %s' % (name, spread[0], spread[1]))
                print('%-16s CPU   %s; %s' % ('', spread[2], spread[3]))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
