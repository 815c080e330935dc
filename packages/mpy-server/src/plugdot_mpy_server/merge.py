"""Fewer modules on a board: the library modules a bundle loads at start,
merged into one module per package (its ``__init__``).

Every module a board imports costs a module object, its own dictionary of
names (with the names it imports from its siblings: re-exports) and, loaded
from an ``.mpy`` file, its own table of names. ``plugdot bundle`` therefore
writes, for each package of the library (the core's ``plugdot``, the
server's, each plugin's), one module holding the package's ``__init__`` and
every module of the package the board loads before serving (*eager*: what
the app, ``main.py`` and the plugins import at module level, and the core's
modules ``App()`` loads), in the order they load. Imports between the merged
modules are dropped (the names are already there); every old module name is
an alias of the merged module in ``sys.modules``, so ``from plugdot.config
import environ`` and ``import plugdot.request`` keep working for apps and
plugins. Modules loaded on first use while serving (the chunked body decoder,
``plugdot.files``, the WebSocket and signer modules) stay separate: loaded
mid-request, a large module would land among the request's allocations
(bench/README.md, session 7).

When a module binds a private name another merged module binds too (or
that is the name of a module of the package), and nothing outside the module
can reach it, the name is renamed in that module (``_TRUE`` becomes
``_TRUE_class_routes``). Otherwise a module stays separate when merging could
change what a name means: it binds a public name another merged module binds
differently (or uses as a built-in), names ``__name__``/``__file__``/
``globals()``, defines a module dunder, or imports with ``*``.

Tracebacks on the board name the merged file (``plugdot/__init__.py``) and a
line in it, and the function's own name; ``bundle.map`` beside the bundle
says which lines of a merged file are which installed source file (the line
numbers inside a part are those of the installed source: parts are copied
line for line). CPython only: it runs inside ``plugdot bundle``.
"""
import ast
import re

# names whose meaning depends on the module they are written in
_MODULE_BOUND = ('__name__', '__file__', '__path__', '__spec__', '__loader__', 'globals',
                 'vars', 'locals', '__builtins__')
#: the alias lines at the top of a merged module (see :func:`merge`): the old
#: module names in sys.modules, and as attributes of the package
ALIASES = ('import sys\n'
           'for __m in %r: sys.modules[__m] = sys.modules[__name__]\n'
           '%s = sys.modules[__name__]; del __m\n')


def _resolve(current, is_package, node):
    """The absolute module name of an ``ImportFrom`` in *current*."""
    if not node.level:
        return node.module
    parts = current.split('.')
    base = parts if is_package else parts[:-1]
    base = base[:len(base) - node.level + 1]
    return '.'.join(base + ([node.module] if node.module else []))


def _load_time(body):
    """The statements that run when a module (or class body) runs: not the
    bodies of functions."""
    for node in body:
        yield node
        if isinstance(node, ast.ClassDef):
            yield from _load_time(node.body)
        elif isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            for field in ('body', 'orelse', 'finalbody'):
                yield from _load_time(getattr(node, field, ()))
            for handler in getattr(node, 'handlers', ()):
                yield from _load_time(handler.body)


def _getattr_imports(name, tree, is_package, attr):
    """Modules a package's module ``__getattr__`` imports for *attr*
    (``if name == 'serve': from .server import serve``)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == '__getattr__':
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) \
                        and isinstance(stmt.test.comparators[0], ast.Constant) \
                        and stmt.test.comparators[0].value == attr:
                    for sub in ast.walk(stmt):
                        if isinstance(sub, ast.ImportFrom):
                            found.append(_resolve(name, is_package, sub))
    return found


def imports_at_load(name, tree, is_package, modules, trees, packages):
    """The modules of *modules* that *name* imports when it loads, in order."""
    found = []

    def add(module):
        if module in modules and module not in found:
            found.append(module)

    for node in _load_time(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split('.')
                for i in range(1, len(parts) + 1):
                    add('.'.join(parts[:i]))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node)
            parts = base.split('.')
            for i in range(1, len(parts) + 1):
                add('.'.join(parts[:i]))
            for alias in node.names:
                sub = base + '.' + alias.name
                if sub in modules:
                    add(sub)
                elif base in trees and base in packages:
                    for lazy in _getattr_imports(base, trees[base], True, alias.name):
                        add(lazy)
    return found


def eager_modules(texts, modules, packages, roots):
    """The modules of *modules* a board loads before serving: the closure
    of what *roots* (modules run at start, any in *texts*) import when they
    load, in the order they first load."""
    trees = {name: ast.parse(texts[name]) for name in set(modules) | set(roots) if name in texts}
    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        if name in trees:
            for dep in imports_at_load(name, trees[name], name in packages, modules, trees,
                                       packages):
                visit(dep)
        if name in modules:
            order.append(name)  # after what it imports: the order they finish loading
    for root in roots:
        visit(root)
    return order


# -- names ---------------------------------------------------------------------
class _Names(ast.NodeVisitor):
    """The module-level names a module binds, and the global names it reads
    (outside any function that binds the same name)."""

    def __init__(self):
        self.bound = {}  # name -> what it is bound to: ('import', module, attr) or ('own',)
        self.reads = set()
        self.scopes = []  # names local to each enclosing function
        self.module_bound = set()
        self.star = False

    def bind(self, name, what=('own',)):
        if not self.scopes:
            previous = self.bound.get(name)
            self.bound[name] = what if previous in (None, what) else ('own',)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if not any(node.id in scope for scope in self.scopes):
                self.reads.add(node.id)
        elif not self.scopes:
            self.bind(node.id)

    def visit_Global(self, node):
        for name in node.names:
            self.bound.setdefault(name, ('own',))
            for scope in self.scopes:
                scope.discard(name)

    def _function(self, node, args):
        local = set()
        for arg in args.posonlyargs + args.args + args.kwonlyargs:
            local.add(arg.arg)
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                local.add(arg.arg)
        declared_global = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Global):
                declared_global.update(sub.names)
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                    local.add(sub.id)
                elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    local.add(sub.name)
                elif isinstance(sub, ast.alias):
                    local.add((sub.asname or sub.name).split('.')[0])
                elif isinstance(sub, ast.ExceptHandler) and sub.name:
                    local.add(sub.name)
                elif isinstance(sub, ast.arg):
                    local.add(sub.arg)
        return local - declared_global

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            self.visit(d)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)
        self.bind(node.name)
        self.scopes.append(self._function(node, node.args))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)
        self.scopes.append(self._function(node, node.args))
        self.visit(node.body)
        self.scopes.pop()

    def visit_ClassDef(self, node):
        for d in node.decorator_list + node.bases:
            self.visit(d)
        for k in node.keywords:
            self.visit(k.value)
        self.bind(node.name)
        # a class body's own names are not globals of the methods
        self.scopes.append(set())
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _comprehension(self, node):
        local = set()
        for gen in node.generators:
            for sub in ast.walk(gen.target):
                if isinstance(sub, ast.Name):
                    local.add(sub.id)
        self.scopes.append(local)
        self.generic_visit(node)
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_ExceptHandler(self, node):
        if node.name:
            self.bind(node.name)
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self.bind(alias.asname, ('import', alias.name, None))
            else:
                self.bind(alias.name.split('.')[0], ('import', alias.name.split('.')[0], None))

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name == '*':
                self.star = True
            else:
                self.bind(alias.asname or alias.name,
                          ('import', (node.level, node.module), alias.name))


def _names(tree):
    found = _Names()
    found.visit(tree)
    return found


# -- the plan ------------------------------------------------------------------
def plan(texts, eager, packages, modules=()):
    """``{host package: [merged modules in load order]}`` for the *eager*
    modules (load order), and the modules left separate with why. No merged
    part may bind the name of a module of the package (*modules*: all the
    bundle's): importing a submodule sets that name on the package."""
    groups, refused, renamed = {}, {}, {}
    texts = dict(texts)
    for name in eager:
        top = name.split('.')[0]
        if name == top or top not in packages or top not in eager or name.count('.') > 1:
            continue
        groups.setdefault(top, []).append(name)
    for host, members in groups.items():
        kept = []
        bound = {}  # name -> (module, what)
        reads = {}
        parts = members + [host]
        infos = {m: _names(ast.parse(texts[m])) for m in parts}
        submodules = set(m.split('.')[1] for m in list(modules) + parts if m.count('.') == 1
                         and m.split('.')[0] == host)
        for module in parts:
            info = infos[module]
            own = _own(module, info, packages, parts)
            clashing = [n for n, what in own.items()
                        if (n in bound and bound[n][1] != what)
                        or (n in submodules and what != ('import', host, n))
                        or (n in reads and reads[n] != module)]
            if module != host and clashing and all(
                    _renamable(n, module, own, texts, packages) for n in clashing):
                text = texts[module]
                for n in clashing:  # private and named nowhere else: renamed here
                    text = _rename_global(text, n, _fresh(n, module, texts))
                renamed[module] = texts[module] = text
                info = infos[module] = _names(ast.parse(text))
                own = _own(module, info, packages, parts)
            why = None
            taken = sorted(n for n in submodules & set(own) if own[n] != ('import', host, n))
            if taken:
                why = 'binds %r, the name of a module of the package' % taken[0]
            if why is not None:
                pass
            elif info.star:
                why = 'imports *'
            elif info.reads & set(_MODULE_BOUND):
                why = 'names ' + ', '.join(sorted(info.reads & set(_MODULE_BOUND)))
            elif module != host and [n for n in info.bound if n[:2] == '__' == n[-2:]]:
                why = 'defines module dunders'
            if why is None:
                for n, what in own.items():
                    if n in bound and bound[n][1] != what:
                        why = 'binds %r as %s does' % (n, bound[n][0])
                        break
                    if n in reads and reads[n] != module:
                        why = 'binds %r, which %s reads as a built-in' % (n, reads[n])
                        break
            if why is None:
                for n in info.reads:
                    if n not in info.bound and n in bound:
                        why = 'reads %r as a built-in, which %s binds' % (n, bound[n][0])
                        break
            if why is not None:
                if module == host:  # the host itself cannot stay out: merge nothing
                    refused.update((m, 'is in %s, whose __init__ %s' % (host, why)) for m in kept)
                    kept = []
                    break
                refused[module] = why
                continue
            for n, what in own.items():
                bound.setdefault(n, (module, what))
            for n in info.reads:
                if n not in info.bound:
                    reads.setdefault(n, module)
            if module != host:
                kept.append(module)
        groups[host] = kept
    return {h: m for h, m in groups.items() if m}, refused, renamed


def _renamable(name, module, own, texts, packages=()):
    """True if *module*'s own *name* is private and no other text can reach
    it: imports it from *module*, reads it as an attribute or names it in a
    string (so renaming it inside *module* changes nothing for anyone else)."""
    if name[:1] != '_' or name[:2] == '__' or own[name] != ('own', module):
        return False
    word = re.compile(r'\b%s\b' % re.escape(name))
    for other, text in texts.items():
        if other == module or not word.search(text):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names) \
                    and _resolve(other, other in packages, node) == module:
                return False
            if isinstance(node, ast.Attribute) and node.attr == name:
                return False
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and word.search(node.value):
                return False
    return True


def _fresh(name, module, texts):
    new = '%s_%s' % (name, module.split('.')[-1].strip('_'))
    while any(new in text for text in texts.values()):
        new += '_'
    return new


def _rename_global(text, old, new):
    """*text* with its module-level name *old* renamed *new*: the
    definition, ``global`` statements, imports that bind it (``from . import
    x as old`` under ``global old``) and every reference that is not to a
    local of the same name. Line for line."""
    tree = ast.parse(text)
    lines = text.split('\n')
    edits = []  # (line index, byte start, byte end)

    class Refs(_Names):
        def visit_Name(self, node):
            if node.id == old and not any(old in scope for scope in self.scopes):
                edits.append((node.lineno - 1, node.col_offset, node.end_col_offset))

        def visit_Global(self, node):
            if old in node.names:
                line = lines[node.lineno - 1].encode()
                for match in re.finditer(rb'\b%s\b' % re.escape(old.encode()), line):
                    if match.start() >= node.col_offset:
                        edits.append((node.lineno - 1, match.start(), match.end()))
            super().visit_Global(node)

        def bind(self, name, what=('own',)):
            pass

        def _imported(self, node):
            # `import x as OLD` / `from . import x as OLD` binding the global
            # (at module level, or in a function that declares it global)
            if any(old in scope for scope in self.scopes):
                return
            for alias in node.names:
                if (alias.asname or alias.name.split('.')[0]) != old:
                    continue
                line = lines[alias.lineno - 1].encode()
                found = list(re.finditer(rb'\b%s\b' % re.escape(old.encode()),
                                         line[alias.col_offset:alias.end_col_offset]))
                if alias.lineno == alias.end_lineno and found:
                    edits.append((alias.lineno - 1, alias.col_offset + found[-1].start(),
                                  alias.col_offset + found[-1].end()))

        visit_Import = visit_ImportFrom = _imported

        def visit_ClassDef(self, node):  # a class body's own names are not the global
            for d in node.decorator_list + node.bases:
                self.visit(d)
            self.scopes.append(set(t.id for stmt in node.body for t in ast.walk(stmt)
                                   if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)))
            for stmt in node.body:
                self.visit(stmt)
            self.scopes.pop()

    Refs().visit(tree)
    for node in _load_time(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == old:
            line = lines[node.lineno - 1].encode()
            match = re.search(rb'(def|class)\s+(%s)\b' % re.escape(old.encode()), line)
            edits.append((node.lineno - 1, match.start(2), match.end(2)))
    for index, start, end in sorted(set(edits), reverse=True):
        line = lines[index].encode()
        lines[index] = (line[:start] + new.encode() + line[end:]).decode()
    return '\n'.join(lines)


def _own(module, info, packages, parts):
    """What *module* binds itself (not imports of names of the merged parts)."""
    own = {}
    for n, what in info.bound.items():
        if what[0] == 'import' and what[2] is not None:
            level, source = what[1]
            base = _resolve(module, module in packages, ast.ImportFrom(module=source, level=level))
            if base in parts and base + '.' + what[2] not in parts:
                continue  # a name of a merged part: the same object
            what = ('import', base, what[2])
        elif what[0] == 'own':
            what = ('own', module)  # a module's own definition is like no other's
        own[n] = what
    return own


# -- the merged text -----------------------------------------------------------
def _drop_imports(module, text, packages, parts, host):
    """Blank the load-time imports of names of the merged *parts* (the names
    are in the merged module already); an import under another name becomes
    an assignment. Line for line."""
    tree = ast.parse(text)
    lines = text.split('\n')
    for node in _load_time(tree.body):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = _resolve(module, module in packages, node)
        if base not in parts:
            continue
        kept, assigned = [], []
        for alias in node.names:
            if base + '.' + alias.name in parts or base + '.' + alias.name in packages:
                kept.append(alias)  # a module object: imported as it was
            elif alias.asname and alias.asname != alias.name:
                assigned.append('%s = %s' % (alias.asname, alias.name))
        indent = ' ' * node.col_offset
        if kept:
            names = ', '.join(a.name + (' as ' + a.asname if a.asname else '') for a in kept)
            stmt = 'from %s import %s' % (base, names)
            assigned.insert(0, stmt)
        for i in range(node.lineno - 1, node.end_lineno):
            lines[i] = ''
        lines[node.lineno - 1] = indent + ('; '.join(assigned) if assigned else 'pass')
    return '\n'.join(lines)


def merge(texts, groups, packages, paths):
    """The merged texts: ``{host: text}`` and the map rows
    ``(merged file, first line, last line, source file)`` (*paths* maps a
    module to its file in the bundle)."""
    merged, rows = {}, []
    for host, members in groups.items():
        parts = [host] + members
        bound = set()
        for module in parts:
            bound.update(_names(ast.parse(texts[module])).bound)
        leaves = [m.split('.')[1] for m in members if m.split('.')[1] not in bound]
        aliases = ALIASES % (tuple(members), ' = '.join(leaves) or '__m')
        chunks = [aliases]
        line = aliases.count('\n') + 1
        for module in members + [host]:
            text = _drop_imports(module, texts[module], packages, parts, host)
            if not text.endswith('\n'):
                text += '\n'
            count = text.count('\n')
            rows.append((paths[host], line, line + count - 1, paths[module], line - 1))
            chunks.append(text)
            line += count
        merged[host] = _fold_bound_getattr(''.join(chunks))
    return merged, rows


def _always_bound(body):
    """The names the module-level statements *body* always bind (not those
    bound under a condition, nor deleted again)."""
    bound, deleted = set(), set()
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    bound.add(target.id)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split('.')[0] for a in stmt.names)
        elif isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Constant) \
                and stmt.test.value is True:  # what the shaker left of `if MICROPYTHON:`
            inner, gone = _always_bound(stmt.body)
            bound |= inner
            deleted |= gone
        elif isinstance(stmt, ast.Delete):
            deleted.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return bound, deleted


def _fold_bound_getattr(text):
    """*text* (a merged module) without the branches of its module-level
    ``__getattr__`` that return a name the merged module binds itself:
    Python asks a module's ``__getattr__`` only for a name its dictionary
    lacks, so such a branch (``if name == 'Server': from .server import
    Server ...`` in the package's ``__init__``) can no longer run. A
    ``__getattr__`` left with nothing but ``raise AttributeError(name)``
    goes too: without it a missing name raises AttributeError just the same
    (and ``from pkg import sub`` still imports a submodule). Line for line."""
    from .shake import _dispatch, _first_line, _fold_if
    tree = ast.parse(text)
    bound, deleted = _always_bound(tree.body)
    bound -= deleted
    lines = text.split('\n')
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name != '__getattr__':
            continue
        arg = node.args.args[0].arg if len(node.args.args) == 1 else None
        branches = _dispatch(node, False)
        folded = [branch for keys, branch in branches
                  if all(k in bound for k in keys) and _fold_if(lines, branch)]
        rest = [stmt for stmt in node.body
                if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]
        last = rest[-1] if rest else None
        raises = (isinstance(last, ast.Raise) and isinstance(last.exc, ast.Call)
                  and getattr(last.exc.func, 'id', None) == 'AttributeError'
                  and len(last.exc.args) == 1 and getattr(last.exc.args[0], 'id', None) == arg)
        if raises and len(folded) == len(rest) - 1 and all(
                stmt in folded and not stmt.orelse for stmt in rest[:-1]):
            # nothing left but the AttributeError Python raises without it
            for i in range(_first_line(node) - 1, node.end_lineno):
                lines[i] = ''
            lines[_first_line(node) - 1] = 'pass'
    return '\n'.join(lines)


def def_rows(texts, rows, renames=None):
    """``(bundle file, function name, source file, source line, name in the
    source)`` of every function and method in *texts* (``{bundle file:
    text}``, the files compiled without line numbers or with renamed
    names), the source placed through the merge *rows*; *renames* maps the
    renamed names to their old ones: a board's traceback through such a file
    says ``line 1`` and names the function as the board knows it."""
    old = dict((new, name) for name, new in (renames or {}).items())
    found = []
    for path, text in sorted(texts.items()):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                source, line = path, node.lineno
                for merged, first, last, part, offset in rows:
                    if merged == path and first <= line <= last:
                        source, line = part, line - offset
                found.append((path, node.name, source, line, old.get(node.name, node.name)))
    return sorted(found)


def map_text(rows, defs=()):
    """``bundle.map``: which lines of each merged module are which source,
    and (*defs*, from :func:`def_rows`) where each function of the modules
    compiled without line numbers is."""
    lines = ['# plugdot bundle: lines of the merged modules (a board traceback names the',
             '# merged file; the source file line is the merged line minus the offset)',
             '# merged file, lines, source file, offset']
    for merged, first, last, source, offset in rows:
        lines.append('%s %d-%d %s -%d' % (merged, first, last, source, offset))
    if defs:
        lines.append('# the functions of the files compiled without line numbers (their')
        lines.append('# tracebacks say line 1): def, file, function, source file, line, and')
        lines.append('# its name in the source where the bundle renamed it')
        lines.extend(('def %s %s %s %d' % row[:4]) + (' ' + row[4] if row[4] != row[1] else '')
                     for row in defs)
    return '\n'.join(lines) + '\n'


def explain(output, mapping):
    """*output* (a board's traceback) with the installed source file and line
    after each line of a merged file, from *mapping* (``bundle.map``'s text);
    in a file compiled without line numbers, where the function it names is
    defined (``[plugdot/app.py, def dispatch at line 393]``)."""
    rows, defs = [], {}
    for row in mapping.splitlines():
        if row.startswith('def '):
            parts = row.split()
            _, path, name, source, line = parts[:5]
            defs.setdefault((path, name), []).append('%s, def %s at line %s'
                                                     % (source, parts[5:] and parts[5] or name,
                                                        line))
        elif row and not row.startswith('#'):
            merged, lines, source, offset = row.split()
            first, last = lines.split('-')
            rows.append((merged, int(first), int(last), source, int(offset)))
    lineless = set(path for path, _ in defs)

    def place(match):
        path, line, name = match.group(1), int(match.group(2)), match.group(4)
        head, tail = match.group(0)[:match.end(2) - match.start(0)], match.group(3) or ''
        for file in lineless:
            if path.endswith(file):
                where = defs.get((file, name))
                return '%s [%s]%s' % (head, ' or '.join(where), tail) if where else match.group(0)
        for merged, first, last, source, offset in rows:
            if path.endswith(merged) and first <= line <= last:
                return '%s [%s, line %d]%s' % (head, source, line + offset, tail)
        return match.group(0)
    return re.sub(r'File "([^"]+)", line (\d+)(, in ([^\s,]+))?', place, output)
