"""Instructions per request of one framework in one scenario of
``inprocess.py``, counted by callgrind: deterministic, whatever the load of
the machine (the in-process timings are not).

Usage (valgrind installed):

    python bench/instructions.py plugdot param [--requests 500]

runs itself under ``valgrind --tool=callgrind`` and prints the instructions
per request. Only the requests are counted (after a warm-up): they run
inside ``sorted()``, which callgrind is told to count
(``--toggle-collect=builtin_sorted``), so start-up and imports are not.

``--keep FILE`` keeps callgrind's profile, to see where the instructions go
(C functions: ``callgrind_annotate --inclusive=yes FILE``; divide by the
number of requests)."""
import argparse
import asyncio
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(framework, scenario, requests):
    """Inside valgrind: prepare the app, warm it up, run the counted requests."""
    sys.path.insert(0, HERE)
    import apps
    import inprocess
    frameworks = dict(apps.FRAMEWORKS)
    frameworks.update(apps.SESSION_ONLY)
    loop = asyncio.new_event_loop()
    app, headers = loop.run_until_complete(
        inprocess.prepare(framework, frameworks[framework], scenario))
    method, path, _, body, _, _ = inprocess.SCENARIOS[scenario]
    template = inprocess.make_scope(path, method, headers, body)
    message = {'type': 'http.request', 'body': body, 'more_body': False}

    async def batch(n):
        for _ in range(n):
            ex = inprocess.Exchange(dict(message))
            await app(dict(template), ex.receive, ex.send)
    loop.run_until_complete(batch(200))
    sorted([0], key=lambda _: loop.run_until_complete(batch(requests)))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('framework')
    parser.add_argument('scenario')
    parser.add_argument('--requests', type=int, default=500)
    parser.add_argument('--keep', metavar='FILE', help="keep callgrind's profile in FILE")
    parser.add_argument('--inside', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return run(args.framework, args.scenario, args.requests)
    keep = os.path.abspath(args.keep) if args.keep else '/dev/null'
    out = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=' + keep,
                          '--collect-atstart=no', '--toggle-collect=builtin_sorted',
                          sys.executable, os.path.abspath(__file__), args.framework,
                          args.scenario, '--requests', str(args.requests), '--inside'],
                         capture_output=True, text=True, check=True).stderr
    total = int(re.search(r'Collected : (\d+)', out).group(1))
    print('%s %s: %d instructions/request' % (args.framework, args.scenario,
                                             total // args.requests))


if __name__ == '__main__':
    main()
