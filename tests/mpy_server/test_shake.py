"""Board specialization of a bundle's library modules (plugdot_mpy_server.shake):
what goes, what stays, and that line numbers do not move."""
import subprocess
import sys

from support import ROOT

from plugdot_mpy_server.shake import specialize

LIB = '''"""A library module."""
import sys

MICROPYTHON = sys.implementation.name == 'micropython'

if MICROPYTHON:
    def clock():
        return 'board'
else:
    # CPython only
    def clock():
        return 'cpython'

if not MICROPYTHON:
    import json
    EXTRA = json.dumps([])


UNREAD = {'a': (1, 2)}  # a constant nothing reads
READ = 1
COUNTED = 0
EFFECT = print('loaded')  # not pure: stays


def helper():
    global COUNTED
    COUNTED += 1
    return READ if MICROPYTHON else only_on_cpython()


def only_on_cpython():
    return 9


def only_used_by_unused():
    return 2


def unused():
    return only_used_by_unused()


def ping():  # only each other names them: not reached
    return pong()


def pong():
    return ping()


def named_in_a_string():
    return 3


class Thing:
    """Docstrings do not keep names: mentioned_in_docstring."""

    def __init__(self):
        self.value = helper()

    def mentioned_in_docstring(self):
        return 4

    def called(self):
        return clock()

    @property
    def prop(self):
        return 5

    @staticmethod
    def plugdot_startup(app):
        return 6

    def walk(self, n):  # only itself names it
        return self.walk(n - 1) if n else 0

    def kept_by_option(self):
        return 7

    def named_in_prose(self):  # a message is no attribute name: it goes
        raise ValueError('see docs/things.md: named_in_prose is gone, %r' % self)

    def named_in_a_list(self):  # 'a b'.split() may name attributes: it stays
        return 10


def plugdot_bundle_modules():
    return ['pkg.lib']  # the bundler's hook: never run on a board


def plugdot_add_commands(subparsers):
    return None  # the CLI's hook, even when a string names it: plugdot_add_commands


class Empty:
    def gone(self):
        return 8


__all__ = ['Thing', 'helper', 'unused']
'''

PKG = '''from .lib import Thing, unused, named_in_a_string
from .lib import (helper,
                  Empty)
'''

APP = '''import pkg
from pkg import Thing
t = Thing()
print(t.called(), t.prop, getattr(pkg, 'named_in_a_string')())
print('Thing.named_in_prose() is not called here',
      [getattr(t, n)() for n in 'called named_in_a_list'.split()])
'''


def shaken(keep=()):
    sources = {'pkg': PKG, 'pkg.lib': LIB, 'app': APP}
    return specialize(sources, ['pkg', 'pkg.lib'], {'pkg'}, keep)


def test_unreachable_definitions_go_and_reachable_ones_stay():
    texts, removed = shaken(keep=('kept_by_option',))
    lib = texts['pkg.lib']
    # (MICROPYTHON too: once its tests are folded to constants nothing reads it)
    assert sorted(removed) == ['pkg.lib.Empty', 'pkg.lib.Empty.gone', 'pkg.lib.MICROPYTHON',
                               'pkg.lib.Thing.mentioned_in_docstring',
                               'pkg.lib.Thing.named_in_prose', 'pkg.lib.Thing.walk',
                               'pkg.lib.UNREAD', 'pkg.lib.only_on_cpython',
                               'pkg.lib.only_used_by_unused', 'pkg.lib.ping',
                               'pkg.lib.plugdot_add_commands',
                               'pkg.lib.plugdot_bundle_modules', 'pkg.lib.pong', 'pkg.lib.unused']
    for kept in ('def helper', 'def named_in_a_string', 'def __init__', 'def called', 'def prop',
                 'def plugdot_startup', 'def kept_by_option', 'def named_in_a_list'):
        assert kept in lib, kept
    # the CPython branches are gone, the board's stays
    assert "'cpython'" not in lib and 'json' not in lib and "'board'" in lib
    assert '    return (READ)' in lib.splitlines()
    assert 'UNREAD' not in lib and 'READ = 1' in lib and 'COUNTED = 0' in lib and 'EFFECT' in lib
    assert '__all__' not in lib
    # imports of what went are pruned, the rest stays
    assert texts['pkg'].splitlines()[0] == 'from .lib import Thing, named_in_a_string'
    assert 'helper' in texts['pkg'] and 'Empty' not in texts['pkg']
    without_option, _ = shaken()
    assert 'def kept_by_option' not in without_option['pkg.lib']


FOLD = '''import sys

MICROPYTHON = sys.implementation.name == 'micropython'


def kind(value):
    if isinstance(value, str):
        if MICROPYTHON:
            return 'board ' + value
        value = fast_path(value)  # (CPython) what follows never runs on a board
        return 'cpython ' + value
    if not MICROPYTHON:
        return 'cpython'
    else:
        return 'board'


def fast_path(value):
    return value.upper()
'''


def test_what_follows_a_board_branch_that_returns_goes(tmp_path):
    texts, removed = specialize({'lib': FOLD, 'app': 'from lib import kind\n'
                                 'print(kind("x"), kind(1))\n'}, ['lib'])
    lib = texts['lib']
    assert lib.count('\n') == FOLD.count('\n')  # line for line
    assert '        if True:' in lib and "            return 'board ' + value" in lib
    assert 'fast_path' not in lib and "'cpython " not in lib  # unreachable, then unnamed
    assert '    if False:' in lib and "        return 'board'" in lib
    assert 'lib.fast_path' in removed
    (tmp_path / 'lib.py').write_text(lib)
    (tmp_path / 'app.py').write_text(texts['app'] if 'app' in texts else 'from lib import kind\n'
                                     'print(kind("x"), kind(1))\n')
    done = subprocess.run([sys.executable, 'app.py'], cwd=tmp_path, capture_output=True,
                          text=True, timeout=30)
    assert done.stdout.strip() == 'board x board', done.stderr


def test_line_numbers_do_not_move_and_the_result_runs(tmp_path):
    texts, _ = shaken()
    for name, text in (('pkg', PKG), ('pkg.lib', LIB)):
        assert texts[name].count('\n') == text.count('\n')
    before = LIB.splitlines().index('    def called(self):')
    assert texts['pkg.lib'].splitlines()[before] == '    def called(self):'
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg' / '__init__.py').write_text(texts['pkg'])
    (tmp_path / 'pkg' / 'lib.py').write_text(texts['pkg.lib'])
    (tmp_path / 'app.py').write_text(APP)
    # Shaken for a board, the module still runs on CPython, taking the board's branch.
    done = subprocess.run([sys.executable, 'app.py'], cwd=tmp_path, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ['loaded', 'board 5 3',
                                        "Thing.named_in_prose() is not called here ['board', 10]"]


def test_a_bundle_is_shaken_unless_asked_not_to(tmp_path):
    app = tmp_path / 'hello.py'
    app.write_text('from plugdot import App\napp = App()\n\n@app.get("/")\ndef hi(request):\n'
                   '    return "hi"\n')
    sizes = {}
    for flag in ('', '--no-shake'):
        out = tmp_path / ('out' + flag)
        done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(app), '-o',
                               str(out), '--source'] + ([flag] if flag else []), cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        app_py = (out / 'plugdot' / 'app.py').read_text()
        sizes[flag] = int(done.stdout.splitlines()[-2].split()[1])
        # the app adds no middleware: on the board the method is dead code
        assert ('def add_middleware' in app_py) == (flag == '--no-shake')
        compat = (out / 'plugdot' / '_compat.py').read_text()
        assert ('import contextvars' in compat) == (flag == '--no-shake')  # CPython's branch
    assert sizes[''] < sizes['--no-shake']


EMPTY_LIB = '''
NEEDS = {}
FILLED = {}
PASSED = []


def need(fn):  # nothing reachable calls it: NEEDS stays empty
    NEEDS[fn] = 1
    return fn


def fill(key):
    FILLED[key] = 1


def check(fn):
    return NEEDS.get(fn)


def only_if_needed(fn):
    return check(fn)


def only_if_filled():
    return 2


def only_if_passed():
    return 3


def route(fn):
    if NEEDS:
        only_if_needed(fn)
    if FILLED:
        only_if_filled()
    if PASSED:
        only_if_passed()
    print(len(PASSED))
    return fn
'''

EMPTY_APP = '''from lib import route, fill
route(print)
fill('x')
'''


def test_an_empty_container_nothing_fills_folds_its_tests():
    texts, removed = specialize({'lib': EMPTY_LIB, 'app': EMPTY_APP}, ['lib'], set())
    lib = texts['lib']
    assert 'lib.NEEDS:if' in removed
    for gone in ('need', 'check', 'only_if_needed', 'NEEDS'):
        assert 'lib.' + gone in removed, gone
    assert 'if False:' in lib and 'NEEDS' not in lib
    # filled by reachable code, or passed on (it may be filled there): kept
    assert 'if FILLED:' in lib and 'def only_if_filled' in lib
    assert 'if PASSED:' in lib and 'def only_if_passed' in lib
    assert lib.count('\n') == EMPTY_LIB.count('\n')
    namespace = {}
    exec(compile(lib, 'lib', 'exec'), namespace)
    assert namespace['route'](len) is len


DISPATCH_LIB = '''
def parse(text):
    return text.upper()


class Lazy:
    def __getattr__(self, name):
        if name[:1] == '_':
            raise AttributeError(name)
        if name == 'named':
            value = 1
        elif name == 'unnamed':
            value = parse('x')  # parse is reached only from here
        elif name in ('by_string', 'other'):
            value = 2
        elif name == 'itself':
            value = self.itself
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value


def __getattr__(name):
    if name == 'lazy':
        return Lazy()
    if name == 'never':
        return parse
    raise AttributeError(name)
'''

DISPATCH_APP = '''import lib
obj = lib.Lazy()
print(obj.named, getattr(obj, 'by_string'), lib.lazy.named)
'''


def test_a_getattr_branch_goes_when_nothing_names_its_attribute():
    texts, removed = specialize({'lib': DISPATCH_LIB, 'app': DISPATCH_APP}, ['lib'], set())
    lib = texts['lib']
    assert sorted(r for r in removed if ':' in r) == [
        'lib.__getattr__:itself', 'lib.__getattr__:never', 'lib.__getattr__:unnamed']
    assert 'lib.parse' in removed and 'def parse' not in lib  # only those branches named it
    for kept in ("name == 'named'", "name in ('by_string', 'other')", "name == 'lazy'"):
        assert kept in lib, kept
    assert lib.count('elif False:') == 2 and lib.count('if False:') == 3
    assert lib.count('\n') == DISPATCH_LIB.count('\n')
    namespace = {}
    exec(compile(lib, 'lib', 'exec'), namespace)
    obj = namespace['Lazy']()
    assert (obj.named, obj.other) == (1, 2)


SUBCLASS_LIB = '''
class Base:
    def __init__(self):
        self.extra = None
        if type(self) is not Base:
            self.extra = scan(self)


def scan(obj):  # only subclasses need it
    return sorted(n for n in dir(type(obj)) if not n.startswith('_'))
'''


def test_a_subclass_test_folds_when_no_class_of_the_bundle_derives():
    plain = 'from lib import Base\nBase()\n'
    texts, removed = specialize({'lib': SUBCLASS_LIB, 'app': plain}, ['lib'], set())
    assert 'lib.Base:if' in removed and 'lib.scan' in removed
    assert 'if False:' in texts['lib'] and 'def scan' not in texts['lib']
    namespace = {}
    exec(compile(texts['lib'], 'lib', 'exec'), namespace)
    assert namespace['Base']().extra is None
    for app in ('import lib\nclass Mine(lib.Base):\n    def page(self): pass\nMine()\n',
                "from lib import Base\nMine = type('Mine', (Base,), {})\n"):
        texts, removed = specialize({'lib': SUBCLASS_LIB, 'app': app}, ['lib'], set())
        assert 'if type(self) is not Base:' in texts['lib'] and 'def scan' in texts['lib'], app


ALIAS_LIB = {'pkg': """
def make_of(kind):
    if kind:
        from .store import Store as make
    else:
        from .store import Cookie as make
    return make()
""", 'pkg.store': """
class Store:
    pass


class Cookie:
    pass


class Unused:
    pass
"""}


def test_an_import_alias_keeps_what_it_names():
    sources = dict(ALIAS_LIB, app='from pkg import make_of\nmake_of(1)\n')
    texts, removed = specialize(sources, ['pkg', 'pkg.store'], {'pkg'})
    assert removed == ['pkg.store.Unused']
    assert 'import Store as make' in texts['pkg'] and 'import Cookie as make' in texts['pkg']
