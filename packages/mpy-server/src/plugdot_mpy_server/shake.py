"""Board specialization of a bundle's library sources, line for line.

A board loads every function of an ``.mpy`` into RAM whether or not it is
ever called, so ``plugdot bundle`` leaves out of the library modules (the
core's, the server's, the plugins') what the bundle as a whole cannot reach:

* code for CPython only: the ``else`` of ``if MICROPYTHON:``, the body of
  ``if not MICROPYTHON:`` (both tests become constants, which MicroPython's
  compiler leaves out), what follows an ``if MICROPYTHON:`` block that ends
  in ``return`` or ``raise`` in its block, and the CPython side of a
  one-line ``a if MICROPYTHON else b``;
* functions, methods, classes and module-level constants (an assignment of
  a value without effects) that the reachable code never names: not as a
  name, an attribute, a keyword argument, an imported name (an alias names
  what it imports), nor as a word in a string that may name attributes (so
  ``getattr(obj, 'name')`` keeps ``name``; prose such as a message names
  nothing). Reachable is everything outside the library's definitions (the
  app, generated modules, module-level code), then the definitions that
  names, transitively — so a function only itself or other unreachable code
  names goes too;
* the branches of a ``__getattr__`` that test its name against constants
  whose attributes nothing reachable names (:func:`_dispatch`);
* the blocks of ``if NAME:`` on a constant empty container nothing fills
  (:func:`_fold_empty`) and of ``if type(self) is not C:`` where no class
  derives from C (:func:`_fold_subclass_tests`);
* implementations of the hooks only the CLI and the bundler call
  (``plugdot.hookspecs.CPYTHON_ONLY_HOOKS``), which a board never runs;
* ``__all__`` lists (a board does not use them).

Never removed: dunder methods, other hook implementations (``plugdot_*``),
decorated functions other than properties and static/class methods, and the
names given as *keep* (``plugdot bundle --keep NAME``). What the app itself
defines is never touched. Only a name built at run time (``getattr(obj,
'get_' + kind)``) can miss its definition; ``--keep`` or ``--no-shake``
is the answer, and ``--check`` finds it.

Removed lines become blank lines (a ``pass`` where a block would be left
empty), so line numbers in a board's tracebacks are those of the installed
sources. CPython only: it runs inside ``plugdot bundle``.
"""
import ast
import re

from plugdot.hookspecs import CPYTHON_ONLY_HOOKS

_WORD = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
#: a string that may name attributes: no white space (``'__aiter__'``,
#: ``'plugdot.' + name``, ``'get_%s'``), or names separated by white space
#: or commas (``'read write'.split()``); prose (a message) names none
_NAMES = re.compile(r'\S*|[\sA-Za-z0-9_,]*')
_KEEP_DECORATORS = ('property', 'staticmethod', 'classmethod', 'setter', 'getter', 'deleter')


def specialize(sources, library, packages=(), keep=()):
    """Specialize the modules named in *library* for a board.

    *sources* maps every module of the bundle (library, app and generated
    ones) to its text; the texts of *library* modules are returned changed,
    with the names removed: ``(texts, removed)`` where *removed* lists
    ``module.qualified_name`` strings. *packages* names the modules that are
    packages (an ``__init__``), for relative imports.
    """
    texts = dict(sources)
    for name in library:
        texts[name] = _fold_micropython(texts[name])
        texts[name] = _fold_conditionals(texts[name])
        texts[name] = _drop_all(texts[name])
    removed, gone = [], {}
    while True:
        trees = {name: ast.parse(text) for name, text in texts.items()}
        used = _reachable_uses(trees, library, keep)
        dropped = False
        for name in library:
            spans = []
            for qualname, node, parent in _definitions(trees[name]):
                if _removable(node, used):
                    spans.append((node, parent))
                    removed.append('%s.%s' % (name, qualname))
                    if '.' not in qualname:
                        gone.setdefault(name, set()).update(qualname.split(','))
            if spans:
                texts[name] = _blank(texts[name], spans)
                dropped = True
            texts[name], keys = _fold_dispatch(texts[name], used)
            if keys:
                removed.extend('%s.__getattr__:%s' % (name, key) for key in keys)
                dropped = True
        if not dropped:
            folded = _fold_empty(texts, library) + _fold_subclass_tests(texts, library)
            if not folded:
                break
            removed.extend(folded)
    for name in library:
        texts[name] = _prune_imports(name, name in packages, texts, gone)
    return {name: texts[name] for name in library}, removed


# -- what is used --------------------------------------------------------------
def _docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if isinstance(body, list):
            found.update(id(stmt.value) for stmt in body if _is_docstring(stmt))
    return found


def _collect_uses(tree, used, is_library):
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        _collect_one(node, used, is_library, docs)


def _collect_one(node, used, is_library, docs):
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        used.add(node.target.id)  # read, then written
    elif isinstance(node, ast.Name):
        if not isinstance(node.ctx, ast.Store):  # binding a name does not use it
            used.add(node.id)
    elif isinstance(node, ast.Attribute):
        used.add(node.attr)
    elif isinstance(node, ast.keyword) and node.arg:
        used.add(node.arg)
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        used.update(node.names)
    elif isinstance(node, ast.alias) and not is_library:
        # What the app imports is used; a library module's imports are
        # pruned instead (_prune_imports) so that they keep nothing alive.
        used.update(node.name.split('.'))
        if node.asname:
            used.add(node.asname)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and id(node) not in docs and _NAMES.fullmatch(node.value):
        used.update(_WORD.findall(node.value))


def _mentions(node, used, is_library, docs, skip=()):
    """The names *node* mentions (see :func:`_collect_uses`), not looking
    inside the nodes whose ids are in *skip*."""
    stack = [node]
    while stack:
        current = stack.pop()
        _collect_one(current, used, is_library, docs)
        stack.extend(child for child in ast.iter_child_nodes(current) if id(child) not in skip)


def _reachable_uses(trees, library, keep):
    """The names mentioned by the code a board can reach: everything outside
    the library's definitions (the app, generated modules, module-level code),
    then the definitions those mention (by name), then what they mention, and
    so on. A function only other unreachable functions name (or only itself)
    is not reached."""
    used = set(keep)
    units = {}  # name -> [(node, module, the ids of its member definitions)]
    pending = []
    aliases = {}  # `from .backends import StoreManager as make`: make -> StoreManager
    for name, tree in trees.items():
        docs = _docstrings(tree)
        if name not in library:
            _mentions(tree, used, False, docs)
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.alias) and node.asname:
                aliases.setdefault(node.asname, set()).add(node.name.split('.')[-1])
        found = list(_definitions(tree))
        skip = set(id(node) for _, node, _ in found)
        _mentions(tree, used, True, docs, skip)
        members = {}
        for qualname, node, _ in found:
            if '.' in qualname:
                members.setdefault(qualname.split('.')[0], []).append(node)
        for qualname, node, _ in found:
            unit = (node, docs, set(id(m) for m in members.get(qualname, ())))
            for keys, branch in _dispatch(node, '.' in qualname):
                # a branch of __getattr__ is reached when its attribute is named
                unit[2].update(id(stmt) for stmt in branch.body)
                for key in keys:
                    docs.update(id(c) for c in ast.walk(branch.test))
                    units.setdefault(key, []).extend((stmt, docs, set()) for stmt in branch.body)
            for target in (_name(node).split(',') if isinstance(node, ast.Assign)
                           else [node.name]):
                units.setdefault(target, []).append(unit)
            if not _removable(node, ()) and '.' not in qualname:
                pending.append(unit)  # pinned at module level: always runs
            elif not _removable(node, ()) and '.' in qualname:
                units.setdefault(' class ' + qualname.split('.')[0], []).append(unit)
    done = set()
    while True:
        for name in list(used):
            if name not in done:
                done.add(name)
                used.update(aliases.get(name, ()))  # using the alias uses what it names
                pending.extend(units.get(name, ()))
                pending.extend(units.get(' class ' + name, ()))  # its pinned members
        if not pending and used <= done:
            return used
        while pending:
            node, docs, skip = pending.pop()
            _mentions(node, used, True, docs, skip)
            if isinstance(node, ast.ClassDef):  # its dunders and hooks come with it
                pending.extend(units.get(' class ' + node.name, ()))


# -- __getattr__ dispatch -------------------------------------------------------------
def _dispatch(node, method):
    """The branches of a ``__getattr__`` (a method if *method*, else a
    module's; or a module's function ``*_getattr(obj, name)`` that a
    ``__getattr__`` elsewhere calls: ``plugdot._request_more``) that test
    its name argument against constants: ``(keys, If node)`` for each
    ``if``/``elif`` of its top-level chains of the form ``name == 'key'``
    or ``name in ('key', ...)``. Such a branch runs only
    for an attribute some code names (``request.json``, ``getattr(request,
    'json')``): the shaker reaches it like a definition of that name."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    if node.name == '__getattr__' and len(node.args.args) == 1 + method:
        arg = node.args.args[method].arg
    elif node.name.endswith('_getattr') and not method and len(node.args.args) == 2:
        arg = node.args.args[1].arg  # a class's __getattr__ kept in a module of its own
    else:
        return []
    found = []
    for stmt in node.body:
        while isinstance(stmt, ast.If):
            test = stmt.test
            if isinstance(test, ast.Compare) and len(test.ops) == 1 \
                    and isinstance(test.left, ast.Name) and test.left.id == arg:
                right = test.comparators[0]
                keys = right.elts if isinstance(test.ops[0], ast.In) and isinstance(
                    right, (ast.Tuple, ast.List, ast.Set)) else [right] if isinstance(
                    test.ops[0], ast.Eq) else []
                if keys and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                for k in keys):
                    found.append(([k.value for k in keys], stmt))
            stmt = stmt.orelse[0] if len(stmt.orelse) == 1 else None
    return found


def _fold_dispatch(text, used):
    """Fold to ``False`` (the body blanked) each branch of a ``__getattr__``
    whose attributes nothing reachable names; returns (text, folded keys)."""
    tree = ast.parse(text)
    lines = text.split('\n')
    folded = []
    for qualname, node, _ in _definitions(tree):
        for keys, branch in _dispatch(node, '.' in qualname):
            if any(k in used for k in keys):
                continue
            if _fold_if(lines, branch):
                folded.extend(keys)
    return '\n'.join(lines), folded


def _fold_if(lines, node):
    """Make the ``if``/``elif`` *node* ``False`` in *lines* (its test on one
    line becomes ``False``, its block a ``pass``; MicroPython's compiler
    leaves such a branch out). False if its test spans lines (left alone)."""
    test = node.test
    if test.lineno != test.end_lineno:
        return False
    line = lines[test.lineno - 1].encode()  # ast offsets count UTF-8 bytes
    lines[test.lineno - 1] = (line[:test.col_offset] + b'False'
                              + line[test.end_col_offset:]).decode()
    first, last = node.body[0], node.body[-1]
    for i in range(_first_line(first) - 1, last.end_lineno):
        lines[i] = ''
    lines[_first_line(first) - 1] = ' ' * first.col_offset + 'pass'
    return True


# -- containers nobody fills ------------------------------------------------------
_EMPTY = (ast.Dict, ast.List, ast.Set, ast.Tuple)


def _fold_empty(texts, library):
    """Fold ``if NAME:`` to ``if False:`` (its body blanked) where NAME is a
    library module's constant empty container (``NAME = {}``, ``[]``,
    ``()``) that stays empty: the bundle mentions it only to bind it, import
    it, test it (``if NAME:``) or read from it (``NAME.get(...)``) — nothing
    stores into it, passes it on, names it as an attribute or in a string.
    (``routing.NEEDS``, filled only by a plugin's decorator such as
    ``with_websocket``, is empty in a bundle without one.) Returns
    ``module.NAME:if`` for each folded test; the shaker then drops what only
    those blocks named."""
    trees = {name: ast.parse(text) for name, text in texts.items()}
    empties = {}
    for name in library:
        for node in trees[name].body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, _EMPTY) \
                    and not getattr(node.value, 'elts', getattr(node.value, 'keys', None)):
                empties.setdefault(node.targets[0].id, []).append((name, node))
    if not empties:
        return []
    tests = {}  # NAME -> [(module, If node)]
    for module, tree in trees.items():
        docs = _docstrings(tree)
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[id(child)] = node
        for node in ast.walk(tree):
            for word in _named(node, docs):
                if word not in empties:
                    continue
                parent = parents.get(id(node))
                if isinstance(node, ast.Name) and isinstance(parent, ast.If) \
                        and parent.test is node and isinstance(node.ctx, ast.Load):
                    tests.setdefault(word, []).append((module, parent))
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                        and isinstance(parent, ast.Attribute) and parent.attr == 'get' \
                        and isinstance(parents.get(id(parent)), ast.Call) \
                        and parents[id(parent)].func is parent:
                    pass  # a read
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                        and any(n is parent for _, n in empties[word]):
                    pass  # its own binding
                elif isinstance(node, ast.alias) and module in library \
                        and isinstance(parent, ast.ImportFrom):
                    pass  # imported by name: its uses are checked where it is imported
                else:
                    empties[word] = None  # anything else may fill it
    folded = []
    for word, found in sorted(tests.items()):
        if empties.get(word) is None or len(empties[word]) != 1:
            continue  # filled somewhere, or two modules define the name
        for module, node in found:
            if module not in library:
                continue
            lines = texts[module].split('\n')
            if _fold_if(lines, node):
                texts[module] = '\n'.join(lines)
                folded.append('%s.%s:if' % (module, word))
    return folded


def _fold_subclass_tests(texts, library):
    """Fold ``if type(self) is not C:`` in the methods of a library class C to
    ``if False:`` (its block blanked) when no class of the bundle derives
    from C (no base names it) and no three-argument ``type()`` could make
    one: ``App``'s set-up of class-style routes, in a bundle whose app is a
    plain ``App()``. Returns ``module.C:if`` for each."""
    trees = {name: ast.parse(text) for name, text in texts.items()}
    bases = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for base in node.bases:
                    bases.update(_named(base, ()))
                    bases.update(n.id for n in ast.walk(base) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == 'type' and len(node.args) != 1:
                return []  # a class made at run time
    folded = []
    for module in library:
        lines = texts[module].split('\n')
        for cls in ast.walk(trees[module]):
            if not isinstance(cls, ast.ClassDef) or cls.name in bases:
                continue
            for node in ast.walk(cls):
                test = getattr(node, 'test', None)
                if not isinstance(node, ast.If) or not isinstance(test, ast.Compare) \
                        or len(test.ops) != 1 or not isinstance(test.ops[0], ast.IsNot):
                    continue
                left, right = test.left, test.comparators[0]
                if isinstance(left, ast.Call) and isinstance(left.func, ast.Name) \
                        and left.func.id == 'type' and len(left.args) == 1 \
                        and isinstance(left.args[0], ast.Name) and left.args[0].id == 'self' \
                        and isinstance(right, ast.Name) and right.id == cls.name \
                        and _fold_if(lines, node):
                    folded.append('%s.%s:if' % (module, cls.name))
        texts[module] = '\n'.join(lines)
    return folded


def _named(node, docs):
    """The words *node* itself names (as :func:`_collect_one` counts them)."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (node.attr,)
    if isinstance(node, ast.keyword) and node.arg:
        return (node.arg,)
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return node.names
    if isinstance(node, ast.alias):
        return tuple(node.name.split('.')) + ((node.asname,) if node.asname else ())
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
        return _WORD.findall(node.value)
    return ()


# -- what may go ---------------------------------------------------------------
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign)


def _definitions(tree):
    """(qualified name, node, the statement list holding it) of the functions,
    classes and assigned names at module level (also inside top-level ``if``
    blocks) and at class level."""
    for node, body in _statements(tree.body):
        if isinstance(node, _DEFS):
            yield _name(node), node, body
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, _DEFS):
                    yield '%s.%s' % (node.name, _name(item)), item, node.body


def _name(node):
    if isinstance(node, ast.Assign):
        return ','.join(t.id if isinstance(t, ast.Name) else '?' for t in node.targets)
    return node.name


def _pure(node):
    """True if evaluating *node* has no effect but its value (literals,
    names, attributes, operators on those, lambdas)."""
    if isinstance(node, (ast.Constant, ast.Name, ast.Lambda)):
        return True
    if isinstance(node, ast.Attribute):
        return _pure(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_pure(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _pure(k) for k in node.keys) and all(map(_pure, node.values))
    if isinstance(node, ast.BinOp):
        return _pure(node.left) and _pure(node.right)
    if isinstance(node, ast.UnaryOp):
        return _pure(node.operand)
    if isinstance(node, (ast.BoolOp, ast.Compare)):
        return all(map(_pure, getattr(node, 'values', None) or [node.left] + node.comparators))
    if isinstance(node, ast.IfExp):
        return _pure(node.test) and _pure(node.body) and _pure(node.orelse)
    return False


def _statements(body):
    for node in body:
        yield node, body
        if isinstance(node, ast.If):
            yield from _statements(node.body)
            yield from _statements(node.orelse)


def _decorator_name(node):
    while isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _removable(node, used):
    if isinstance(node, ast.Assign):  # names nothing reads, bound to a value without effects
        return all(isinstance(t, ast.Name) and t.id not in used and t.id[:2] != '__'
                   for t in node.targets) and _pure(node.value)
    name = node.name
    if name in CPYTHON_ONLY_HOOKS:
        return True  # found through the hook table, never by name
    if name in used or name.startswith('plugdot_') or (name[:2] == '__' and name[-2:] == '__'):
        return False
    return all(_decorator_name(d) in _KEEP_DECORATORS for d in node.decorator_list)


# -- editing, line for line ------------------------------------------------------
def _first_line(node):
    return min([node.lineno] + [d.lineno for d in getattr(node, 'decorator_list', ())])


def _blank(text, spans):
    """Blank the lines of each (node, statement list) in *spans*; a block
    left without statements gets a ``pass``."""
    lines = text.split('\n')
    gone = set()
    for node, _ in spans:
        for i in range(_first_line(node) - 1, node.end_lineno):
            lines[i] = ''
        gone.add(id(node))
    for node, body in spans:
        if all(id(stmt) in gone or _is_docstring(stmt) for stmt in body):
            indent = ' ' * node.col_offset
            lines[_first_line(node) - 1] = indent + 'pass'
            for stmt in body:
                gone.add(id(stmt))  # one pass per emptied body
    return '\n'.join(lines)


def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def _fold_micropython(text):
    """``if MICROPYTHON: A else: B`` becomes ``if True: A``, and ``if not
    MICROPYTHON: A`` ``if False: pass`` (its ``else`` kept: MicroPython's
    compiler leaves out a block whose test is a constant, and the test too).
    When A ends in ``return``, ``raise``, ``continue`` or ``break``, the
    statements after ``if MICROPYTHON: A`` in its block (CPython's way of
    doing the same) never run on a board: they go too."""
    tree = ast.parse(text)
    lines = text.split('\n')
    blocks = [getattr(node, field) for node in ast.walk(tree)
              for field in ('body', 'orelse', 'finalbody')
              if isinstance(getattr(node, field, None), list)]
    blocks += [handler.body for node in ast.walk(tree) if isinstance(node, ast.Try)
               for handler in node.handlers]
    after = {}  # id of an If -> the statements after it in its block
    for block in blocks:
        for i, stmt in enumerate(block):
            after[id(stmt)] = block[i + 1:]
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        if negated:
            test = test.operand
        if not (isinstance(test, ast.Name) and test.id == 'MICROPYTHON'):
            continue
        if node.test.lineno != node.lineno or node.test.end_lineno != node.lineno:
            continue
        if not negated and node.orelse and \
                lines[node.orelse[0].lineno - 1].lstrip().startswith('elif'):
            continue  # an elif chain: left as it is
        line = lines[node.lineno - 1].encode()  # ast offsets count UTF-8 bytes
        lines[node.lineno - 1] = (line[:node.test.col_offset]
                                  + (b'False' if negated else b'True')
                                  + line[node.test.end_col_offset:]).decode()
        dead = node.body if negated else node.orelse
        if not negated and not node.orelse and isinstance(
                node.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            dead = after.get(id(node), [])
            for stmt in dead:  # unreachable on a board
                for i in range(_first_line(stmt) - 1, stmt.end_lineno):
                    lines[i] = ''
            continue
        if not dead:
            continue
        first, last = _first_line(dead[0]), dead[-1].end_lineno
        if not negated:
            first -= 1
            while not lines[first - 1].lstrip().startswith('else'):
                first -= 1  # the `else:` line, above comments or blank lines
        for i in range(first - 1, last):
            lines[i] = ''
        if negated:
            lines[first - 1] = ' ' * dead[0].col_offset + 'pass'
    return '\n'.join(lines)


def _fold_conditionals(text):
    """A one-line ``a if MICROPYTHON else b`` becomes ``(a)`` (``(b)`` for
    ``if not MICROPYTHON``), so that what only *b* used can go."""
    while True:
        lines = text.split('\n')
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.IfExp) and node.lineno == node.end_lineno:
                test, kept = node.test, node.body
                if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                    test, kept = test.operand, node.orelse
                if isinstance(test, ast.Name) and test.id == 'MICROPYTHON':
                    break
        else:
            return text
        line = lines[node.lineno - 1].encode()  # ast offsets count UTF-8 bytes
        value = line[kept.col_offset:kept.end_col_offset]
        line = line[:node.col_offset] + b'(' + value + b')' + line[node.end_col_offset:]
        lines[node.lineno - 1] = line.decode()
        text = '\n'.join(lines)


def _drop_all(text):
    tree = ast.parse(text)
    lines = text.split('\n')
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '__all__'
                                                for t in node.targets):
            for i in range(node.lineno - 1, node.end_lineno):
                lines[i] = ''
    return '\n'.join(lines)


def _prune_imports(current, is_package, texts, gone):
    """Drop from ``from module import a, b`` the names removed from that
    module (*gone* maps modules to them); a statement left importing
    nothing becomes ``pass``."""
    tree = ast.parse(texts[current])
    lines = texts[current].split('\n')
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = node.module
        if node.level:
            parts = current.split('.')
            base = parts if is_package else parts[:-1]
            base = base[:len(base) - node.level + 1]
            source = '.'.join(base + ([node.module] if node.module else []))
        removed = gone.get(source, ())
        kept = [a for a in node.names if a.name not in removed]
        if len(kept) == len(node.names):
            continue
        indent = ' ' * node.col_offset
        if kept:
            names = ', '.join(a.name + (' as ' + a.asname if a.asname else '') for a in kept)
            stmt = '%sfrom %s%s import %s' % (indent, '.' * node.level, node.module or '', names)
        else:
            stmt = indent + 'pass'
        lines[node.lineno - 1] = stmt
        for i in range(node.lineno, node.end_lineno):
            lines[i] = ''
    return '\n'.join(lines)
