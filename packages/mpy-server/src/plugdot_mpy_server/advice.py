"""What ``plugdot bundle`` tells a maker about the app's source, read once
when it bundles: the files the app opens (copied into the bundle, or named
with the fix), a ``debug`` setting that would send tracebacks to every
client of the board, and body limits above the board server's. CPython only.

What it reads are literals in the app's own module (``send_file('page.html')``,
``debug=True``, ``max_body_size=1024 * 1024``): a name computed at run time
is not seen (docs/deploying.md, "Files the app opens").
"""
import ast
import gc
import os
import shutil

#: Calls whose first argument is a file the app sends.
SENDS = ('send_file', 'FileResponse')


def _name(func):
    # 'send_file' for send_file(...), plugdot.send_file(...), self.send_file(...)
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _text(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _number(node):
    # An int literal, or arithmetic on them (16 * 1024), else None.
    try:
        value = eval(compile(ast.Expression(node), '<limit>', 'eval'), {'__builtins__': {}})
    except Exception:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reads(call):
    # open('x') / open('x', 'rb'): a file the app reads (not one it writes).
    mode = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == 'mode':
            mode = keyword.value
    mode = 'r' if mode is None else _text(mode)
    return mode is not None and not any(c in mode for c in 'wax+')


def _calls(tree):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _under(path, folders):
    path = os.path.normpath(path)
    return any(path == os.path.normpath(f) or path.startswith(os.path.normpath(f) + os.sep)
               for f in folders)


def _parse(text):
    """The syntax tree of the source *text*. The garbage collector is off
    meanwhile: CPython up to 3.11.7 fails with "SystemError: AST constructor
    recursion depth mismatch" when a finalizer runs while the tree's objects
    are made (seen on 3.11.7 in the test suite, after a test leaving asyncio
    tasks to collect)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text)
    finally:
        if enabled:
            gc.enable()


def ship_files(app_source, out, static_folders, note):
    """Copy into the bundle *out* the files the app names as literals in
    ``send_file(...)``, ``FileResponse(...)`` and ``open(...)`` for reading,
    at the same path relative to the bundle (the board's current folder) as
    to the app's folder (or, failing that, the current one, as CPython
    resolves them); *note* gets one line per file, and a warning naming the
    fix for a file it cannot copy and for a static folder (``StaticFiles``,
    the ``static_folders`` setting) no ``--static`` (*static_folders*)
    carries. Returns size report rows."""
    with open(app_source, encoding='utf-8') as f:
        tree = _parse(f.read())
    shown = os.path.basename(app_source)
    bases = [os.path.dirname(os.path.abspath(app_source)), os.getcwd()]
    static = [os.path.abspath(f) for f in static_folders]
    for where, folder in _static_folders(tree, shown):
        if not any(os.path.abspath(os.path.join(b, folder)) in static for b in bases):
            note('warning: %s serves a folder the bundle does not carry: add --static %s '
                 '(gzipped, content-hashed names) or copy the folder to the board'
                 % (where, folder))
        elif os.path.normpath(folder) != 'static':
            note("warning: %s: --static writes the assets to the bundle's static/ "
                 "folder, which the board finds as StaticFiles('static')" % where)
    rows, done = [], set()
    for what, path in _opened(tree, shown):
        if path in done:
            continue
        done.add(path)
        if os.path.isabs(path) or '..' in path.replace('\\', '/').split('/'):
            note('warning: %s: a path outside the bundle is not copied; put the file at that '
                 'path on the board, or beside main.py with a relative name' % what)
            continue
        source = next((os.path.join(b, path) for b in bases
                       if os.path.isfile(os.path.join(b, path))), None)
        if source is None:
            note('warning: %s: no such file beside %s or in the current folder: the board '
                 'answers 404 (or OSError) unless you copy it there too' % (what, shown))
            continue
        if _under(source, static):
            continue  # --static ships it (pages under their own names)
        target = os.path.join(out, path)
        os.makedirs(os.path.dirname(target) or out, exist_ok=True)
        shutil.copyfile(source, target)
        rows.append((path.replace(os.sep, '/'), os.path.getsize(target), None))
        note('app file copied: %s (%s): copy it to the board with the rest' % (path, what))
    return rows


def _static_folders(tree, shown):
    # (where, folder) of StaticFiles('x') and of static_folders: 'x' / ['x', ...]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == 'StaticFiles':
            for folder in [_text(a) for a in node.args if _text(a)]:
                yield '%s line %d: StaticFiles(%r)' % (shown, node.lineno, folder), folder
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None or _text(key) != 'static_folders':
                    continue
                items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                for folder in [_text(v) for v in items if _text(v)]:
                    yield ('%s line %d: static_folders %r' % (shown, node.lineno, folder),
                           folder)


def _opened(tree, shown):
    # (where, path) of the literal file names the app sends or reads
    for call in _calls(tree):
        name = _name(call.func)
        path = _text(call.args[0]) if call.args else None
        if path is None or name not in SENDS + ('open',) or (name == 'open' and not _reads(call)):
            continue
        root = [k.value for k in call.keywords if k.arg == 'root']
        if root:  # send_file(name, root='www'): www/name, if the root is a literal
            if _text(root[0]) is None:
                continue
            path = _text(root[0]).rstrip('/') + '/' + path
        yield '%s line %d: %s(%r)' % (shown, call.lineno, name, path), path


def debug_warnings(app_source):
    """A line per place the app's source turns the ``debug`` setting on
    (``config={'debug': True}``, ``config['debug'] = True``, ``debug=True``
    given to anything but ``run``): on a board a 500 would carry its
    traceback to every client on the network."""
    text = open(app_source, encoding='utf-8').read()
    shown = os.path.basename(app_source)
    lines = []
    for node in ast.walk(_parse(text)):
        line = None
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _text(key) == 'debug' and _true(value):
                    line = node.lineno
        elif isinstance(node, ast.Call) and _name(node.func) != 'run':
            if any(k.arg == 'debug' and _true(k.value) for k in node.keywords):
                line = node.lineno
        elif isinstance(node, ast.Assign) and _true(node.value):
            if any(isinstance(t, ast.Subscript) and _text(t.slice) == 'debug'
                   for t in node.targets):
                line = node.lineno
        if line is not None:
            lines.append('warning: %s line %d: the debug setting is on: on the board every '
                         'client of a 500 gets its traceback; leave it off in the app and turn '
                         'it on where you develop (PLUGDOT_DEBUG=1)' % (shown, line))
    return lines


def _true(node):
    return isinstance(node, ast.Constant) and node.value is True


def body_limit_warnings(app_source, board_limit):
    """A line for each body limit the app sets above *board_limit* (the
    board server's ``Limits.max_body_size``, which refuses a larger body
    with 413 before the app sees it): the app's ``max_body_size`` setting
    (``config={'max_body_size': ...}``) and ``max_body_size=`` literals in
    its source (``@upload_limits``). (The setting's own default on CPython,
    1 MiB, is the board's 16 KiB there.)"""
    text = open(app_source, encoding='utf-8').read()
    shown = os.path.basename(app_source)
    found = []
    for call in _calls(_parse(text)):
        for keyword in call.keywords if _name(call.func) != 'Limits' else ():  # the server's own
            if keyword.arg == 'max_body_size':
                found.append((call.lineno, _number(keyword.value)))
    for node in ast.walk(_parse(text)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _text(key) == 'max_body_size':
                    found.append((node.lineno, _number(value)))
    fix = ("raise the server's in main.py: run(limits=Limits(max_body_size=%d)), Limits from "
           'plugdot_mpy_server (docs/deploying.md)')
    largest = max([size or 0 for _, size in found] + [0])
    return ['warning: %s line %d: max_body_size %d is above the board server\'s body limit '
            '(%d bytes, Limits.max_body_size): larger bodies get 413 there; %s'
            % (shown, line, size, board_limit, fix % largest)
            for line, size in found if size and size > board_limit]
