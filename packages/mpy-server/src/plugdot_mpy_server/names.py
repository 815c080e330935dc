"""Shorter private names in the board edition, line for line.

Loaded from ``.mpy`` files, every name a module uses (of a function,
method, attribute, parameter) is interned in the board's heap, once, with
its characters: the hello bundle's core and server bring ~100 private names
(``_parse_head``, ``_send_response``, ...) of ~9 characters each. ``plugdot
bundle`` therefore renames the library's private names (one leading
underscore, not a dunder) to short ones (``_a``, ``_b``, ... ``_aB``), the
same name everywhere in the bundle, so that a method defined in one package
and called from another still meet, keyword arguments still match their
parameters, and ``global`` statements still name their global.

A name is renamed only when that cannot change what the code does:

* the library binds it (a ``def``, ``class``, assignment, parameter or
  attribute it stores), so it is no name of MicroPython's own objects;
* it is not bound in a class whose base is not the bundle's own or a
  built-in type (overriding a method MicroPython calls by name);
* no string of the bundle names it (``getattr(obj, '_name')``,
  ``__slots__``, a hook's argument names in ``plugdot_bundled``), nor starts
  it (``'_parse_' + kind``), and no f-string uses it;
* the app, ``main.py``, ``plugdot_main`` and ``--module`` modules never name
  it (the maker's code is never touched, and what it reaches keeps its name);
* it is no part of a module's name (``plugdot._compat``), nor kept by
  ``--keep``.

Frozen, names are in flash: this saves heap only for ``.mpy`` files.
``bundle.map`` records each renamed function, so ``--check`` shows the
installed name in a traceback. CPython only: it runs inside
``plugdot bundle``.
"""
import ast
import io
import re
import string
import tokenize

_WORD = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
#: base classes whose subclasses may rename their private names
_BUILTIN_BASES = ('object', 'Exception', 'BaseException', 'ValueError', 'TypeError', 'KeyError',
                  'RuntimeError', 'OSError', 'LookupError', 'dict', 'list', 'tuple', 'str',
                  'bytes', 'int')
#: names MicroPython itself uses that a short name must not take
_RESERVED = ('_fd', '_v2')


def _private(name):
    return name[:1] == '_' and name[:2] != '__' and len(name) > 1


def _docstring_ids(tree):
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            found.add(id(first.value))
    return found


def _identifiers(tree):
    """Every identifier *tree* names (names, attributes, definitions,
    parameters, keywords, imports)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.update((node.asname or node.name).split('.'))
            found.update(node.name.split('.'))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.update(node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(node.module.split('.'))
    return found


def _bound(tree, classes):
    """The names *tree* binds (definitions, parameters, stored names and
    attributes), and those bound inside a class with a foreign base (not in
    *classes*, the bundle's own, nor built in)."""
    bound, foreign = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            bound.add(node.attr)
        if isinstance(node, ast.ClassDef):
            bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, 'id', None)
                     for b in node.bases]
            if any(b not in classes and b not in _BUILTIN_BASES for b in bases):
                foreign.update(_identifiers(ast.Module(body=node.body, type_ignores=[])))
    return bound, foreign


def _short_names(taken):
    """``_a``, ``_b``, ... ``_Z``, ``_aa``, ... not in *taken*."""
    first = string.ascii_letters
    rest = string.ascii_letters + string.digits
    for letter in first:
        if '_' + letter not in taken:
            yield '_' + letter
    for letter in first:
        for other in rest:
            if '_' + letter + other not in taken:
                yield '_' + letter + other


def plan(texts, library, kept, module_names, keep=()):
    """``{old: new}``: the private names of the *library* modules (names in
    *texts*) to rename. *kept* are texts whose names must stay (the app,
    ``main``, ...); *module_names* the modules of the bundle (their parts
    keep their names); *keep* names that stay (``--keep``)."""
    trees = {name: ast.parse(text) for name, text in texts.items()}
    classes = set(node.name for tree in trees.values() for node in ast.walk(tree)
                  if isinstance(node, ast.ClassDef))
    candidates, everywhere, refused, prefixes = set(), set(), set(_RESERVED) | set(keep), []
    for name, tree in trees.items():
        everywhere |= _identifiers(tree)
        if name in library:
            bound, foreign = _bound(tree, classes)
            candidates |= set(n for n in bound if _private(n))
            refused |= foreign
        if name in kept:
            refused |= _identifiers(tree)
        docs = _docstring_ids(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docs:
                refused.update(_WORD.findall(node.value))
                if re.fullmatch(r'_[A-Za-z0-9_]+', node.value):
                    prefixes.append(node.value)
            elif isinstance(node, ast.JoinedStr):
                refused |= _identifiers(node)
    for module in module_names:
        refused.update(module.split('.'))
    chosen = sorted((n for n in candidates if n not in refused
                     and not any(n.startswith(p) for p in prefixes)),
                    key=lambda n: (-len(n), n))
    fresh = (n for n in _short_names(everywhere | refused)
             if not any(n.startswith(p) for p in prefixes))
    renames = {}
    for old in chosen:
        new = next(fresh)
        if len(new) < len(old):
            renames[old] = new
    return renames


def rename(text, renames):
    """*text* with every name token in *renames* renamed, line for line."""
    lines = text.split('\n')
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string in renames:
            edits.append((tok.start[0] - 1, tok.start[1], tok.end[1], renames[tok.string]))
    for row, start, end, new in sorted(edits, reverse=True):
        lines[row] = lines[row][:start] + new + lines[row][end:]
    return '\n'.join(lines)
