"""Merging a bundle's modules per package (plugdot_mpy_server.merge): what
merges, what stays separate and why, old import paths kept, and a board
traceback traced back to the installed source through bundle.map."""
import re
import subprocess
import sys

from plugdot_mpy_server.merge import eager_modules, explain, map_text, merge, plan

INIT = '''"""The package."""
from .a import A, _helper as helper
from .b import B
from . import a

__version__ = '1'


def __getattr__(name):
    if name == 'Lazy':
        from .lazy import Lazy
        return Lazy
    raise AttributeError(name)
'''

A = '''import sys


def _helper():
    return 'a-helper'


class A:
    def where(self):
        return 'A in ' + sys.implementation.name

    def fail(self):
        return 1 // 0
'''

B = '''from .a import A as Base


class B(Base):
    def where(self):
        return 'B, ' + Base.where(self)
'''

CLASH = '''def _helper():  # another _helper, which nothing else can reach: renamed to merge
    return 'clash-helper'


class Box:
    _helper = 'class-attribute'  # not the global


def value():
    return _helper() + '/' + Box._helper
'''

OTHER = '''def _helper():  # another _helper, which the app imports: not renamed, stays separate
    return 'other-helper'
'''

HOLDER = '''lazy = None  # merged, this would be replaced when pkg.lazy is imported


def held():
    return lazy
'''

LAZY = '''from .a import A


class Lazy(A):
    pass
'''

APP = '''import pkg.b
from pkg.a import A
from pkg import B, helper, a
from pkg.clash import value
from pkg.holder import held
from pkg.other import _helper as other


def run():
    from pkg import Lazy  # loaded on first use: a module of its own
    print(B().where(), helper(), a.A is A, value(), Lazy.__name__, pkg.b.B is B, held(), other())
    A().fail()
'''

TEXTS = {'pkg': INIT, 'pkg.a': A, 'pkg.b': B, 'pkg.clash': CLASH, 'pkg.lazy': LAZY,
         'pkg.holder': HOLDER, 'pkg.other': OTHER,
         'app': APP + 'import pkg.clash\nimport pkg.holder\nimport pkg.other\n'}
MODULES = ['pkg', 'pkg.a', 'pkg.b', 'pkg.clash', 'pkg.lazy', 'pkg.holder', 'pkg.other']
PATHS = {'pkg': 'pkg/__init__.py', 'pkg.a': 'pkg/a.py', 'pkg.b': 'pkg/b.py',
         'pkg.clash': 'pkg/clash.py', 'pkg.lazy': 'pkg/lazy.py', 'pkg.holder': 'pkg/holder.py',
         'pkg.other': 'pkg/other.py'}


def merged():
    eager = eager_modules(TEXTS, MODULES, {'pkg'}, ['app'])
    groups, refused, renamed = plan(TEXTS, eager, {'pkg'}, MODULES)
    hosts, rows = merge(dict(TEXTS, **renamed), groups, {'pkg'}, PATHS)
    return eager, groups, refused, hosts, rows


def test_what_loads_at_start_merges_and_a_clash_stays_separate():
    eager, groups, refused, hosts, _ = merged()
    assert 'pkg.lazy' not in eager  # imported inside a function only
    assert groups == {'pkg': ['pkg.a', 'pkg.b', 'pkg.clash']}
    assert refused == {'pkg.other': "binds '_helper' as pkg.a does",
                       'pkg.holder': "binds 'lazy', the name of a module of the package"}
    text = hosts['pkg']
    # pkg.clash's _helper is renamed; the class attribute of the same name is not
    assert 'def _helper_clash():' in text and "    _helper = 'class-attribute'" in text
    assert "    return _helper_clash() + '/' + Box._helper" in text
    assert 'from .a import' not in text and 'Base = A' in text and 'from pkg import a' in text


def test_the_merged_package_runs_with_its_old_import_paths(tmp_path, micropython_exe):
    _, groups, _, hosts, rows = merged()
    (tmp_path / 'pkg').mkdir()
    files = dict(TEXTS, **hosts)
    for module in ('pkg', 'pkg.other', 'pkg.lazy', 'pkg.holder'):
        (tmp_path / PATHS[module]).write_text(files[module])
    (tmp_path / 'app.py').write_text(APP)
    (tmp_path / 'main.py').write_text('import app\napp.run()\n')
    for exe in (micropython_exe, sys.executable):
        done = subprocess.run([exe, 'main.py'], cwd=tmp_path, capture_output=True, text=True,
                              timeout=30)
        assert done.stdout.split('\n')[0].split(', ') == [
            'B', 'A in ' + ('micropython' if exe == micropython_exe else 'cpython') +
            ' a-helper True clash-helper/class-attribute Lazy True None other-helper'], done.stdout + done.stderr
        output = done.stdout + done.stderr  # MicroPython prints tracebacks to stdout
        assert 'ZeroDivisionError' in output
        if exe == micropython_exe:
            board = output
    # the board's traceback names the merged file; bundle.map leads to the source line
    line = int(re.findall(r'pkg/__init__.py", line (\d+), in fail', board)[-1])
    for row in map_text(rows).splitlines():
        if not row.startswith('#'):
            merged_file, lines, source, offset = row.split()
            first, last = map(int, lines.split('-'))
            if merged_file == 'pkg/__init__.py' and first <= line <= last:
                assert source == 'pkg/a.py'
                assert A.split('\n')[line + int(offset) - 1] == '        return 1 // 0'
                break
    else:
        raise AssertionError('line %d is in no row of bundle.map' % line)
    # what `plugdot bundle --check` shows of a board's traceback
    shown = explain(board, map_text(rows))
    assert re.search(r'pkg/__init__.py", line \d+ \[pkg/a.py, line 13\], in fail', shown), shown


GETATTR_INIT = '''"""A package whose __getattr__ loads its modules on first use."""
from .a import A


def __getattr__(name):
    if name == 'A':
        from .a import A
        return A
    if name in ('B', 'b'):
        from .b import B
        return B
    raise AttributeError(name)
'''

ONLY_BOUND_INIT = '''"""A package whose __getattr__ serves only names the merge binds."""
from .a import A
from .b import B


def __getattr__(name):
    if name == 'A':
        from .a import A
        return A
    if name == 'B':
        from .b import B
        return B
    raise AttributeError(name)
'''


def test_a_merged_getattr_loses_the_branches_of_names_the_merge_binds(tmp_path, micropython_exe):
    # Python asks a module's __getattr__ only for a name its dictionary lacks:
    # merged, A is in the package's dictionary, so its branch can never run
    texts = {'pkg': GETATTR_INIT, 'pkg.a': A, 'pkg.b': B, 'app': 'import pkg\n'}
    modules = ['pkg', 'pkg.a', 'pkg.b']
    eager = eager_modules(texts, modules, {'pkg'}, ['app'])
    groups, _, renamed = plan(texts, eager, {'pkg'}, modules)
    assert groups == {'pkg': ['pkg.a']}  # pkg.b loads on first use: not merged
    hosts, rows = merge(dict(texts, **renamed), groups, {'pkg'}, PATHS)
    text = hosts['pkg']
    assert "if name == 'A':" not in text and 'if False:' in text
    assert "if name in ('B', 'b'):" in text and 'raise AttributeError(name)' in text
    assert text.count('\n') == rows[-1][2]  # line for line: bundle.map's rows still hold
    # every branch gone: the function too (a missing name is an AttributeError anyway)
    texts['pkg'] = ONLY_BOUND_INIT
    eager = eager_modules(texts, modules, {'pkg'}, ['app'])
    groups, _, renamed = plan(texts, eager, {'pkg'}, modules)
    assert groups == {'pkg': ['pkg.a', 'pkg.b']}
    text = merge(dict(texts, **renamed), groups, {'pkg'}, PATHS)[0]['pkg']
    assert 'def __getattr__' not in text and 'AttributeError' not in text
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg' / '__init__.py').write_text(text)
    (tmp_path / 'main.py').write_text(
        'import pkg\nfrom pkg import A, B\nprint(pkg.A is A, pkg.B is B, B().where())\n'
        'try:\n    pkg.missing\nexcept AttributeError:\n    print("AttributeError")\n')
    for exe in (micropython_exe, sys.executable):
        done = subprocess.run([exe, 'main.py'], cwd=tmp_path, capture_output=True, text=True,
                              timeout=30)
        assert done.stdout.split('\n')[:2] == [
            'True True B, A in ' + ('micropython' if exe == micropython_exe else 'cpython'),
            'AttributeError'], done.stdout + done.stderr


def test_a_renamed_global_is_renamed_where_an_import_binds_it():
    # `global _mod; from . import m as _mod` binds the global: renamed with it
    # (else the renamed reads see None while the import sets the old name, a
    # name another merged module owns); a function's own import is a local.
    from plugdot_mpy_server.merge import _rename_global
    text = ('_mod = None\n\n\ndef load():\n    global _mod\n    if _mod is None:\n'
            '        from . import jsonlimit as _mod\n    return _mod.loads\n\n\n'
            'def local():\n    from . import jsonlimit as _mod\n    return _mod\n')
    out = _rename_global(text, '_mod', '_mod_x')
    assert '_mod_x = None' in out and out.count('global _mod_x') == 1
    assert 'from . import jsonlimit as _mod_x\n    return _mod_x.loads' in out
    assert 'def local():\n    from . import jsonlimit as _mod\n    return _mod\n' in out
