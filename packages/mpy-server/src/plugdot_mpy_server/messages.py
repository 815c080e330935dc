"""Long error messages out of the code a board loads, line for line.

Loaded from ``.mpy`` files, every string constant of a module is an object
in the board's heap for as long as the module lives, whether or not it is
ever used: the library's long messages for programming mistakes (a handler
returning something plugdot cannot send, a route a plugin is missing for, a
bad setting) are ~4 KB of the hello bundle's heap. ``plugdot bundle``
therefore moves them into a generated module, ``plugdot_messages``, that
the board imports only while such an error is being raised (and forgets
again): the message the board shows is the same text, word for word.

Lifted are string constants of at least :data:`MIN_LENGTH` characters that
are the message of a ``raise`` of one of :data:`RAISES` inside a function
(``raise TypeError('...' % args)``), in the library modules (never the
app). Messages of errors raised by bad client input (``HTTPError``,
``ProtocolError``) and of ``AttributeError`` (which ``getattr``/``hasattr``
raise in normal operation) stay in place: loading a module for each bad
request would cost time and heap. The constant becomes
``__import__('plugdot_bundled').message(N)``; lines keep their numbers.
CPython only: it runs inside ``plugdot bundle``.
"""
import ast

#: the exceptions whose messages are lifted: what a programming mistake raises
RAISES = ('TypeError', 'ValueError', 'RuntimeError', 'PluginError', 'ImportError',
          'NotImplementedError')
#: shorter messages stay (the call that fetches one costs ~12 bytes of bytecode)
MIN_LENGTH = 30
#: the generated module holding the messages
MODULE = 'plugdot_messages'
#: how the generated ``plugdot_bundled`` fetches a message
FETCH = '''

def message(index):
    """A long error message of the library (plugdot_messages), loaded only
    while it is being raised and then forgotten (plugdot_mpy_server.messages)."""
    import sys
    from plugdot_messages import MESSAGES
    sys.modules.pop('plugdot_messages', None)
    return MESSAGES[index]
'''


def _raised_message(node):
    """The string constant that is the message of the ``raise`` *node*, or None."""
    exc = node.exc
    if not isinstance(exc, ast.Call) or not exc.args:
        return None
    func = exc.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', None)
    if name not in RAISES:
        return None
    first = exc.args[0]
    if isinstance(first, ast.BinOp) and isinstance(first.op, ast.Mod):
        first = first.left
    if isinstance(first, ast.Constant) and isinstance(first.value, str) \
            and len(first.value) >= MIN_LENGTH:
        return first
    return None


def _raises_in_functions(tree):
    stack = [(node, False) for node in tree.body]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, ast.Raise) and inside:
            yield node
        inside = inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        stack.extend((child, inside) for child in ast.iter_child_nodes(node))


def _help_texts(tree):
    """The help texts of the settings a ``plugdot_settings`` implementation
    declares: ``{'name': (default, 'help text'), ...}``."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name == 'plugdot_settings':
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                    for value in ret.value.values:
                        if isinstance(value, ast.Tuple) and len(value.elts) == 2 \
                                and isinstance(value.elts[1], ast.Constant) \
                                and isinstance(value.elts[1].value, str):
                            yield value.elts[1]


def _edit(text, edits):
    """*text* with each (constant node, replacement) of *edits* replaced,
    line for line: a constant written over several lines (implicit
    concatenation inside parentheses) leaves blank lines."""
    lines = text.split('\n')
    # from the last: earlier offsets stay right
    for node, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        first = lines[node.lineno - 1].encode()  # ast offsets count UTF-8 bytes
        last = lines[node.end_lineno - 1].encode()
        if node.lineno == node.end_lineno:
            lines[node.lineno - 1] = (first[:node.col_offset] + new.encode()
                                      + first[node.end_col_offset:]).decode()
            continue
        rest = last[node.end_col_offset:].decode()
        lines[node.lineno - 1] = first[:node.col_offset].decode() + new
        for i in range(node.lineno, node.end_lineno - 1):
            lines[i] = ''
        indent = len(last) - len(last.lstrip())
        lines[node.end_lineno - 1] = (b' ' * indent).decode() + rest.lstrip() \
            if rest.strip() else ''
    return '\n'.join(lines)


def lift(texts, library):
    """The long error messages of the *library* modules in *texts*, lifted:
    ``(changed texts, messages)``, where message N of the list replaces its
    constant with ``__import__('plugdot_bundled').message(N)``. The help
    texts of settings (``plugdot_settings``) become ``''``: the board never
    shows them (``config.help`` keeps the names, with empty texts)."""
    messages, index, changed = [], {}, {}
    for name in library:
        tree = ast.parse(texts[name])
        constants = [c for c in map(_raised_message, _raises_in_functions(tree)) if c]
        constants.sort(key=lambda c: (c.lineno, c.col_offset))
        edits = []
        for node in constants:  # numbered in the order they are written
            if node.value not in index:
                index[node.value] = len(messages)
                messages.append(node.value)
            edits.append((node, "__import__('plugdot_bundled').message(%d)" % index[node.value]))
        edits.extend((node, "''") for node in _help_texts(tree) if node.value)
        if edits:
            changed[name] = _edit(texts[name], edits)
    return changed, messages


def module_text(messages):
    """The text of the generated messages module."""
    lines = ['"""Generated by `plugdot bundle`: the library\'s long error messages, '
             'loaded only',
             'while one is raised (plugdot_mpy_server.messages)."""',
             'MESSAGES = (']
    lines.extend('    %r,' % text for text in messages)
    lines.append(')')
    return '\n'.join(lines) + '\n'
