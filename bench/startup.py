"""Import time and resident memory of each framework plus app creation, over
`import asyncio` alone, each in a fresh interpreter; and the core's size.
Time is the child's CPU time (user + system: waiting for a core on a busy
machine does not count); the frameworks take turns within each run, and the
best of the runs is kept.

The issue's figure is plugdot's time over Microdot's (printed last);
``--only plugdot,Microdot`` measures just those two (faster, same method).
``--stages`` prints where plugdot's time goes instead: importing plugdot,
pluggy with the plugin manager, scanning the entry points, importing the
installed plugins, the first ``App()`` and a second one (best of the runs).

The workspace installs plugdot's packages in development mode: each one's
``src`` folder is an entry of ``sys.path`` after site-packages, so every
import of a plugdot package looks in up to ten more folders first (in this
environment a miss costs ~40,000 instructions; a plugin's import costs twice
that of the same module in site-packages), which peers installed from wheels
do not pay. ``--installed`` measures plugdot as a wheel installs it instead:
its packages copied into one folder right after site-packages, the ``src``
entries removed (only the probes' ``sys.path`` changes, before the clock
starts). The issue's figures are without it.

``--sources DIR`` measures the plugdot packages of another checkout (DIR
holds ``packages/*/src``, e.g. ``git archive main packages | tar -x -C
DIR``) in this one's place on ``sys.path``, same entries in the same order:
before/after comparisons in the same environment and the same hour.

``--core-alone`` also measures each framework in an environment with
plugdot's core and none of its plugins (the issue's "core alone" figure): a
venv under ``build/bench-core-alone/`` with the bench environment's
dependencies (read from hatch.toml: the same peers, about as many installed
distributions to scan) and ``packages/core`` installed in development mode, as the
workspace does. It is built with pip on first use (a minute or two) and
rebuilt when that list changes. The probes in that venv take turns with
those in this environment (every package installed), so both figures come
from one run; each is plugdot's time over Microdot's in the same venv.

Usage: python bench/startup.py [--runs 7] [--only NAME,NAME] [--stages] [--installed]
                               [--sources DIR] [--core-alone]"""
import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PROBE = r'''
import time, sys
t0 = time.process_time()
import asyncio
t1 = time.process_time()
sys.path.insert(0, %(here)r)
import apps
FACTORY = %(factory)r
if FACTORY:
    app = apps.FRAMEWORKS[FACTORY]()
t2 = time.process_time()
rss = 0
for line in open('/proc/self/status'):
    if line.startswith('VmRSS:'):
        rss = int(line.split()[1])
print('%%f %%f %%d' %% (t1 - t0, t2 - t1, rss))
'''


STAGES_PROBE = r'''
import time
pt = time.process_time
import asyncio
marks = [pt()]
import plugdot
marks.append(pt())
import plugdot.plugins
marks.append(pt())
from plugdot._discovery import entry_points
eps = entry_points()
marks.append(pt())
for ep in eps:
    ep.load()
marks.append(pt())
app = plugdot.App()
marks.append(pt())
plugdot.App()
marks.append(pt())
print(' '.join('%f' % (b - a) for a, b in zip(marks, marks[1:])))
'''
STAGES = ('import plugdot', 'pluggy + plugins.py', 'entry-point scan', 'import the plugins',
          'App()', 'a second App()')


#: Code run by every probe before its clock starts (``--installed`` sets it).
PRELUDE = ''

SOURCES_PRELUDE = r'''
import sys
sys.path[:] = [p.replace(%(packages)r, %(other)r) for p in sys.path]
'''

INSTALLED_PRELUDE = r'''
import sys
sys.path[:] = [p for p in sys.path if not p.startswith(%(packages)r)]
sys.path.insert([p.endswith('site-packages') for p in sys.path].index(True) + 1, %(folder)r)
'''


def install_copy(root):
    """Copy the plugdot packages of checkout *root* into one new folder, as
    a wheel install lays them out, compiled; return the folder."""
    folder = tempfile.mkdtemp(prefix='plugdot-installed-')
    for package in glob.glob(os.path.join(root, 'packages', '*', 'src', '*')):
        if os.path.isdir(package) and not package.endswith('__pycache__'):
            shutil.copytree(package, os.path.join(folder, os.path.basename(package)),
                            ignore=shutil.ignore_patterns('__pycache__'))
    subprocess.run([sys.executable, '-m', 'compileall', '-q', folder], check=True,
                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE=''), stdout=subprocess.DEVNULL)
    return folder


CORE_ALONE = os.path.join(ROOT, 'build', 'bench-core-alone')


def core_alone_python():
    """The Python of a venv holding the bench environment's dependencies and
    plugdot's core alone, built (or rebuilt) if its stamp does not match."""
    import tomllib  # Python 3.11+, as the bench environment
    with open(os.path.join(ROOT, 'hatch.toml'), 'rb') as f:
        bench = tomllib.load(f)['envs']['bench']
    core = [m for m in bench['workspace']['members']
            if isinstance(m, dict) and m['path'] == 'packages/core'][0]
    wanted = bench['dependencies'] + ['-e', '%s[%s]' % (os.path.join(ROOT, 'packages', 'core'),
                                                        ','.join(core.get('features', ())))]
    stamp = hashlib.sha256(repr((sys.version, wanted)).encode()).hexdigest()
    python = os.path.join(CORE_ALONE, 'bin', 'python')
    stamp_file = os.path.join(CORE_ALONE, 'stamp')
    if not (os.path.exists(stamp_file) and open(stamp_file).read() == stamp):
        print('building %s (pip, once) ...' % CORE_ALONE, file=sys.stderr)
        shutil.rmtree(CORE_ALONE, ignore_errors=True)
        subprocess.run([sys.executable, '-m', 'venv', CORE_ALONE], check=True)
        subprocess.run([python, '-m', 'pip', 'install', '-q'] + wanted, check=True)
        with open(stamp_file, 'w') as f:
            f.write(stamp)
    return python


def stages(runs):
    """Best CPU time (ms) of each start-up stage of plugdot over *runs* fresh
    interpreters."""
    best = None
    for _ in range(runs):
        out = subprocess.run([sys.executable, '-X', 'frozen_modules=on', '-c',
                              PRELUDE + STAGES_PROBE],
                             capture_output=True, text=True, check=True).stdout.split()
        got = [float(x) * 1000 for x in out]
        best = got if best is None else [min(a, b) for a, b in zip(best, got, strict=True)]
    print('plugdot start-up stages, CPU ms, best of %d (each stage on its own):' % runs)
    for name, ms in zip(STAGES, best, strict=True):
        print('  %-22s %6.2f' % (name, ms))
    print('  %-22s %6.2f' % ('sum of the first five', sum(best[:5])))


def probe(framework, python=sys.executable):
    """``(ms, KiB)``: import and app creation time, resident memory, once,
    under *python*."""
    code = PRELUDE + PROBE % {'here': HERE, 'factory': framework}
    out = subprocess.run([python, '-X', 'frozen_modules=on', '-c', code],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[1]) * 1000, int(out[2])


def core_lines(root=ROOT):
    """Lines of code (not blank, not comment-only) in the core package."""
    src = os.path.join(root, 'packages', 'core', 'src', 'plugdot')
    total, rows = 0, []
    for name in sorted(os.listdir(src)):
        if not name.endswith('.py'):
            continue
        n = 0
        for line in open(os.path.join(src, name)):
            s = line.strip()
            if s and not s.startswith('#'):
                n += 1
        rows.append((name, n))
        total += n
    return total, rows


def main():
    global PRELUDE
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--only', help='comma-separated frameworks to measure (default: all)')
    parser.add_argument('--stages', action='store_true',
                        help="plugdot's start-up stages instead of the comparison")
    parser.add_argument('--installed', action='store_true',
                        help='plugdot laid out as a wheel installs it, not in development mode')
    parser.add_argument('--sources', metavar='DIR',
                        help="the plugdot packages of the checkout DIR instead of this one's")
    parser.add_argument('--core-alone', action='store_true',
                        help="also each framework in a venv with plugdot's core and none of its "
                             "plugins, taking turns with this environment's")
    args = parser.parse_args()
    root = os.path.abspath(args.sources) if args.sources else ROOT
    # Installed peers come with bytecode compiled by pip; compile plugdot's
    # workspace sources too (PYTHONDONTWRITEBYTECODE may be set) so that all
    # are measured alike.
    subprocess.run([sys.executable, '-m', 'compileall', '-q', os.path.join(root, 'packages')],
                   check=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE=''),
                   stdout=subprocess.DEVNULL)
    folder = None
    if args.installed:
        folder = install_copy(root)
        PRELUDE = INSTALLED_PRELUDE % {'packages': os.path.join(ROOT, 'packages', ''),
                                       'folder': folder}
        print('plugdot as installed from wheels (%s)' % folder)
    elif args.sources:
        PRELUDE = SOURCES_PRELUDE % {'packages': os.path.join(ROOT, 'packages', ''),
                                     'other': os.path.join(root, 'packages', '')}
        print("plugdot's packages from %s" % root)
    try:
        measure(args, root)
    finally:
        if folder:
            shutil.rmtree(folder)


def measure(args, root):
    """Run the chosen measurement."""
    sys.path.insert(0, HERE)
    import apps
    if args.stages:
        return stages(args.runs)
    only = args.only.split(',') if args.only else None
    names = [''] + [name for name in apps.FRAMEWORKS
                    if name != 'raw ASGI' and (only is None or name in only)]
    pythons = {'': sys.executable}
    if args.core_alone:
        pythons[' (core alone)'] = core_alone_python()
    best, runs = {}, []
    for _ in range(args.runs):  # take turns, so that the machine's moods hit all alike
        this = {}
        for name in names:
            for env, python in pythons.items():
                ms, kib = this[name + env] = probe(name, python)
                old = best.get(name + env, (ms, kib))
                best[name + env] = (min(ms, old[0]), min(kib, old[1]))
        runs.append(this)
    bases = {env: best.pop('' + env) for env in pythons}
    for env in pythons:
        print('baseline `import asyncio`%s: %.1f MiB resident' % (env, bases[env][1] / 1024))
    print('%-26s %12s %12s %12s' % ('framework', '+import ms', '× plugdot', '+RSS MiB'))
    rows = []
    for label, (ms, kib) in best.items():
        env = next(e for e in pythons if e and label.endswith(e)) if label not in names else ''
        rows.append((label, ms - bases[env][0], (kib - bases[env][1]) / 1024))
    ours = dict((r[0], r[1]) for r in rows).get('plugdot')
    for name, ms, mib in sorted(rows, key=lambda r: r[1]):
        print('%-26s %12.1f %12.2f %12.2f' % (name, ms, ms / ours if ours else 0, mib))
    times = dict((r[0], r[1]) for r in rows)
    for env in pythons:
        if 'plugdot' + env in times and 'Microdot' + env in times:
            # each run's own ratio too: how far one run can be trusted
            per_run = sorted((r['plugdot' + env][0] - r[env][0]) / (r['Microdot' + env][0] - r[env][0])
                             for r in runs)
            print('\nplugdot / Microdot%s: %.2f (best of each); per run min %.2f, median %.2f, '
                  'max %.2f' % (env, times['plugdot' + env] / times['Microdot' + env],
                                per_run[0], per_run[len(per_run) // 2], per_run[-1]))
    if only:
        return
    total, files = core_lines(root)
    print('\nplugdot core: %d lines of code in %d modules' % (total, len(files)))
    for name, n in files:
        print('  %-16s %4d' % (name, n))


if __name__ == '__main__':
    main()
