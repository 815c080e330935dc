"""Compile templates of the documented Jinja2 subset into Python modules of
generator functions (CPython only; the modules run on any Python with
:mod:`plugdot_templates.runtime`).

Jinja2's own parser reads the template, so the subset is parsed exactly as
Jinja2 parses it (whitespace control, comments, operator precedence); this
module only walks the tree and refuses, with ``file:line`` and the
construct, any node outside the subset. Every output value is escaped
unless it is Markup (``|safe``, ``|e``, ``|tojson``), as Jinja2 does with
autoescape on.

A compiled module holds ``NAME``, ``PARENT`` (the template it extends, or
None), ``root(ctx, env, blocks)`` and one function per block in ``BLOCKS``.
Scopes follow Jinja2: top-level ``{% set %}`` writes the template's context
(blocks see it), a ``{% for %}`` body has its own variables each iteration,
``{% if %}`` has none, a block sees only the context.
"""
from .response import TemplateError

#: Filter name -> the runtime function that implements it.
FILTERS = {'e': 'escape', 'escape': 'escape', 'safe': 'f_safe', 'default': 'f_default',
           'd': 'f_default', 'upper': 'f_upper', 'lower': 'f_lower', 'trim': 'f_trim',
           'length': 'f_length', 'count': 'f_length', 'string': 'f_string', 'int': 'f_int',
           'first': 'f_first', 'last': 'f_last', 'replace': 'f_replace', 'join': 'f_join',
           'tojson': 'f_tojson'}
#: Test name -> the runtime function.
TESTS = {'defined': 't_defined', 'undefined': 't_undefined', 'none': 't_none',
         'even': 't_even', 'odd': 't_odd', 'divisibleby': 't_divisibleby',
         'string': 't_string', 'number': 't_number'}
_COMPARE = {'eq': '==', 'ne': '!=', 'gt': '>', 'gteq': '>=', 'lt': '<', 'lteq': '<=',
            'in': 'in', 'notin': 'not in'}
_BINARY = {'Add': '+', 'Sub': '-', 'Mul': '*', 'Div': '/', 'FloorDiv': '//', 'Mod': '%',
           'Pow': '**'}
#: How a refused node is named in the error message.
_CONSTRUCTS = {'Macro': '{% macro %}', 'CallBlock': '{% call %}', 'FilterBlock': '{% filter %}',
               'With': '{% with %}', 'Import': '{% import %}', 'FromImport': '{% from import %}',
               'AssignBlock': '{% set %}...{% endset %} (block assignment)',
               'ExprStmt': '{% do %}', 'Break': '{% break %}', 'Continue': '{% continue %}',
               'Slice': 'a slice [a:b]', 'NSRef': 'a namespace attribute assignment',
               'Scope': 'a scope', 'OverlayScope': 'an overlay scope'}


def compile_template(source, name, filename=None):
    """The Python source of the module for template *name* (its text
    *source*); :class:`TemplateError` with ``file:line`` and the construct
    if it uses something outside the subset or is invalid."""
    import jinja2
    filename = filename or name
    env = jinja2.Environment()
    try:
        tree = env.parse(source, name, filename)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError('%s:%s: template syntax error: %s'
                            % (filename, exc.lineno, exc.message)) from exc
    return _Compiler(name, filename).module(tree)


def module_name(name):
    """The Python module name a template's compiled code gets."""
    import binascii
    safe = ''.join(c if c.isalnum() and c.isascii() else '_' for c in name)
    return 't_%s_%08x' % (safe, binascii.crc32(name.encode()) & 0xffffffff)


class _Frame:
    """Variables of one scope: Jinja2 name -> Python local; the top frame
    (``names`` None) is the template's context dict itself."""

    def __init__(self, parent, names=None):
        self.parent = parent
        self.names = names


class _Compiler:
    def __init__(self, name, filename):
        self.name = name
        self.filename = filename
        self.lines = []
        self.indent = 1
        self.counter = 0
        self.blocks = []          # (block name, function name, node)
        self.block_names = {}
        self.used = set()
        self.current_block = None

    # -- errors and output -----------------------------------------------------
    def refuse(self, node, what=None):
        what = what or _CONSTRUCTS.get(type(node).__name__, type(node).__name__)
        raise TemplateError('%s:%s: %s is not in the template subset plugdot compiles for '
                            'MicroPython (see docs/templates.md, "The subset")'
                            % (self.filename, getattr(node, 'lineno', '?'), what))

    def write(self, line):
        self.lines.append('    ' * self.indent + line)

    def fresh(self, hint):
        self.counter += 1
        return '%s_%d' % (hint, self.counter)

    def use(self, name):
        self.used.add(name)
        return name

    # -- the module ------------------------------------------------------------
    def module(self, tree):
        from jinja2 import nodes
        self.collect_blocks(tree.body, nodes)
        parent = self.extends(tree, nodes)
        root = self.function('root', '(ctx, env, blocks)', tree.body, _Frame(None), parent)
        functions = [root]
        for block_name, fn_name, node in self.blocks:
            self.current_block = block_name
            names = {}  # a block's {% set %} is its own, as in Jinja2
            for assigned in _assigned(node.body, nodes):
                names.setdefault(assigned, self.fresh('v_' + assigned))
            functions.append(self.function(fn_name, '(ctx, env, blocks, depth)', node.body,
                                           _Frame(_Frame(None), names)))
        self.current_block = None
        head = ['# Generated by plugdot-templates from %r: do not edit.' % self.name]
        names = sorted(self.used | {'html'})
        head.append('from plugdot_templates.runtime import %s' % ', '.join(names))
        head.append('NAME = %r' % self.name)
        head.append('PARENT = %r' % parent)
        out = head + [''] + [line for fn in functions for line in fn + ['']]
        out.append('BLOCKS = {%s}' % ', '.join('%r: %s' % (b, f) for b, f, _ in self.blocks))
        return '\n'.join(out) + '\n'

    def collect_blocks(self, body, nodes):
        for node in body:
            if isinstance(node, nodes.Block):
                if node.scoped or getattr(node, 'required', False):
                    self.refuse(node, '{% block %} with "scoped" or "required"')
                if node.name in self.block_names:
                    self.refuse(node, 'a second {%% block %s %%}' % node.name)
                fn = 'block_' + node.name
                self.block_names[node.name] = fn
                self.blocks.append((node.name, fn, node))
            self.collect_blocks(list(node.iter_child_nodes()), nodes)

    def extends(self, tree, nodes):
        parent = None
        for node in tree.find_all(nodes.Extends):
            if node not in tree.body or parent is not None:
                self.refuse(node, '{% extends %} other than once at the top level')
            if not isinstance(node.template, nodes.Const) or not isinstance(
                    node.template.value, str):
                self.refuse(node, '{% extends %} of a computed name')
            parent = node.template.value
        return parent

    def function(self, name, params, body, frame, parent=None):
        saved, self.lines, self.indent = self.lines, [], 1
        for assigned, py in sorted((frame.names or {}).items()):
            self.write('%s = %s' % (py, self.lookup(assigned, frame.parent)))
        if parent is None:
            self.statements(body, frame)
        else:
            self.child_root(body, frame, parent)
        self.write('return')
        self.write('yield')
        lines = ['def %s%s:' % (name, params)] + self.lines
        self.lines = saved
        return lines

    def child_root(self, body, frame, parent):
        from jinja2 import nodes
        seen = False
        for node in body:
            if isinstance(node, nodes.Extends):
                seen = True
            elif not seen:
                self.statements([node], frame)
            elif isinstance(node, nodes.Assign):
                self.statements([node], frame)
            elif isinstance(node, (nodes.Block, nodes.Output)):
                continue  # Jinja2 outputs nothing after {% extends %} but the parent
            else:
                self.refuse(node, '{%% %s %%} outside a block of a template that extends '
                            'another' % type(node).__name__.lower())
        self.write('yield from env.load(%r).root(ctx, env, blocks)' % parent)

    # -- statements --------------------------------------------------------------
    def statements(self, body, frame):
        from jinja2 import nodes
        for node in body:
            kind = type(node).__name__
            if isinstance(node, nodes.Output):
                self.output(node, frame)
            elif kind == 'If':
                self.if_(node, frame)
            elif kind == 'For':
                self.for_(node, frame)
            elif kind == 'Assign':
                self.assign(node, frame)
            elif kind == 'Include':
                self.include(node, frame)
            elif kind == 'Block':
                self.write('yield from blocks[%r][0](ctx, env, blocks, 0)' % node.name)
            elif kind == 'Extends':
                self.refuse(node, '{% extends %} other than once at the top level')
            else:
                self.refuse(node)

    def output(self, node, frame):
        from jinja2 import nodes
        from markupsafe import escape as compile_time_escape
        text = []

        def flush():
            if text:
                self.write('yield %r' % ''.join(text))
                del text[:]
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                text.append(child.data)
            elif isinstance(child, nodes.Const) and isinstance(child.value, (str, int, bool)) \
                    or isinstance(child, nodes.Const) and child.value is None:
                text.append(str(compile_time_escape(child.value)))
            elif self.is_super(child):
                flush()
                self.write('yield from blocks[%r][depth + 1](ctx, env, blocks, depth + 1)'
                           % self.current_block)
            else:
                flush()
                self.write('yield html(%s)' % self.expr(child, frame))
        flush()

    def is_super(self, node):
        from jinja2 import nodes
        if not (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name)
                and node.node.name == 'super'):
            return False
        if self.current_block is None:
            self.refuse(node, 'super() outside a block')
        if node.args or node.kwargs:
            self.refuse(node, 'super() with arguments')
        return True

    def if_(self, node, frame):
        self.write('if %s:' % self.expr(node.test, frame))
        self.body(node.body, frame)
        for elif_ in node.elif_:
            self.write('elif %s:' % self.expr(elif_.test, frame))
            self.body(elif_.body, frame)
        if node.else_:
            self.write('else:')
            self.body(node.else_, frame)

    def body(self, body, frame):
        self.indent += 1
        start = len(self.lines)
        self.statements(body, frame)
        if len(self.lines) == start:
            self.write('pass')
        self.indent -= 1

    def for_(self, node, frame):
        from jinja2 import nodes
        if node.test is not None:
            self.refuse(node, '{% for ... if ... %} (a loop filter)')
        if node.recursive:
            self.refuse(node, '{% for ... recursive %}')
        iterable = self.expr(node.iter, frame)
        names = {}
        inner = _Frame(frame, names)
        targets = self.targets(node.target, names)
        uses_loop = any(n.name == 'loop' for n in _names_read(node.body, nodes))
        for assigned in _assigned(node.body, nodes):
            if assigned not in names:
                names[assigned] = self.fresh('v_' + assigned)
        if uses_loop:
            names['loop'] = self.fresh('loop')
        preset = [(n, py) for n, py in names.items()
                  if n != 'loop' and py not in targets.values()]
        empty = None
        if node.else_:
            empty = self.fresh('empty')
            self.write('%s = True' % empty)
        if uses_loop and _loop_needs_items(node.body, nodes):
            items = self.fresh('items')
            self.write('%s = list(%s)' % (items, iterable))
            self.write('%s = %s(%s)' % (names['loop'], self.use('Loop'), items))
            iterable = items
        elif uses_loop:  # loop.index/index0/first/cycle only: the items stream
            self.write('%s = %s(None)' % (names['loop'], self.use('Loop')))
        self.write('for %s in %s:' % (self.target_code(node.target, names), iterable))
        self.indent += 1
        if empty:
            self.write('%s = False' % empty)
        if uses_loop:
            self.write('%s.index0 += 1' % names['loop'])
        for name, py in preset:  # each iteration starts from the outer value
            self.write('%s = %s' % (py, self.lookup(name, frame)))
        self.statements(node.body, inner)
        self.write('pass')
        self.indent -= 1
        if empty:
            self.write('if %s:' % empty)
            self.body(node.else_, frame)

    def targets(self, target, names):
        from jinja2 import nodes
        found = {}
        if isinstance(target, nodes.Name):
            found[target.name] = names[target.name] = self.fresh('v_' + target.name)
        elif isinstance(target, nodes.Tuple) and all(isinstance(i, nodes.Name)
                                                     for i in target.items):
            for item in target.items:
                found[item.name] = names[item.name] = self.fresh('v_' + item.name)
        else:
            self.refuse(target, 'this loop target')
        return found

    def target_code(self, target, names):
        from jinja2 import nodes
        if isinstance(target, nodes.Name):
            return names[target.name]
        return '(%s,)' % ', '.join(names[i.name] for i in target.items)

    def assign(self, node, frame):
        from jinja2 import nodes
        value = self.expr(node.node, frame)
        target = node.target
        if isinstance(target, nodes.Name):
            pairs = [(target.name, value)]
        elif isinstance(target, nodes.Tuple) and all(isinstance(i, nodes.Name)
                                                     for i in target.items):
            tmp = self.fresh('unpack')
            self.write('%s = tuple(%s)' % (tmp, value))
            pairs = [(item.name, '%s[%d]' % (tmp, i)) for i, item in enumerate(target.items)]
        else:
            self.refuse(target, 'this {% set %} target')
        for name, code in pairs:
            self.write('%s = %s' % (self.store(name, frame), code))

    def include(self, node, frame):
        from jinja2 import nodes
        if node.ignore_missing:
            self.refuse(node, '{% include ... ignore missing %}')
        if not isinstance(node.template, nodes.Const) or not isinstance(node.template.value,
                                                                        str):
            self.refuse(node, '{% include %} of a computed name or a list')
        if not node.with_context:
            self.write('yield from env.run(%r, %s({}))'
                       % (node.template.value, self.use('new_context')))
            return
        local = {}
        current = frame
        while current is not None and current.names is not None:
            for name, py in current.names.items():
                if name != 'loop':  # Jinja2 does not pass loop to an include
                    local.setdefault(name, py)
            current = current.parent
        ctx = '{%s}' % ', '.join('%r: %s' % kv for kv in sorted(local.items()))
        self.write('yield from env.run(%r, %s(ctx, %s))'
                   % (node.template.value, self.use('derive'), ctx))

    # -- variables -----------------------------------------------------------------
    def lookup(self, name, frame):
        current = frame
        while current is not None and current.names is not None:
            if name in current.names:
                return current.names[name]
            current = current.parent
        return 'ctx.get(%r, %s)' % (name, self.use('UNDEFINED'))

    def store(self, name, frame):
        if frame.names is None:
            return 'ctx[%r]' % name
        return frame.names[name]

    # -- expressions -----------------------------------------------------------------
    def expr(self, node, frame):
        from jinja2 import nodes
        kind = type(node).__name__
        if kind == 'Const':
            return repr(node.value)
        if kind == 'Name':
            if node.name == 'super':
                self.refuse(node, 'super() outside {{ super() }}')
            return self.lookup(node.name, frame)
        if kind == 'Getattr':
            return '%s(%s, %r)' % (self.use('getattr_'), self.expr(node.node, frame), node.attr)
        if kind == 'Getitem':
            if isinstance(node.arg, nodes.Slice):
                self.refuse(node.arg)
            return '%s(%s, %s)' % (self.use('getitem'), self.expr(node.node, frame),
                                   self.expr(node.arg, frame))
        if kind == 'Filter':
            return self.filter(node, frame)
        if kind == 'Test':
            fn = TESTS.get(node.name)
            if fn is None:
                self.refuse(node, 'the test "is %s"' % node.name)
            return '%s(%s)' % (self.use(fn), self.arguments(node, frame, node.node))
        if kind == 'Call':
            if self.is_super(node):
                self.refuse(node, 'super() inside an expression (use {{ super() }} alone)')
            return '%s(%s)' % (self.expr(node.node, frame), self.arguments(node, frame))
        if kind == 'List':
            return '[%s]' % ', '.join(self.expr(i, frame) for i in node.items)
        if kind == 'Tuple':
            return '(%s)' % ''.join(self.expr(i, frame) + ', ' for i in node.items)
        if kind == 'Dict':
            return '{%s}' % ', '.join('%s: %s' % (self.expr(p.key, frame),
                                                  self.expr(p.value, frame)) for p in node.items)
        if kind == 'CondExpr':
            other = (self.expr(node.expr2, frame) if node.expr2 is not None
                     else '%s()' % self.use('Undefined'))
            return '(%s if %s else %s)' % (self.expr(node.expr1, frame),
                                           self.expr(node.test, frame), other)
        if kind in ('And', 'Or'):
            return '(%s %s %s)' % (self.expr(node.left, frame), kind.lower(),
                                   self.expr(node.right, frame))
        if kind == 'Not':
            return '(not %s)' % self.expr(node.node, frame)
        if kind == 'Neg':
            return '(-%s)' % self.expr(node.node, frame)
        if kind == 'Pos':
            return '(+%s)' % self.expr(node.node, frame)
        if kind in _BINARY:
            return '(%s %s %s)' % (self.expr(node.left, frame), _BINARY[kind],
                                   self.expr(node.right, frame))
        if kind == 'Concat':
            return '%s(%s)' % (self.use('concat'),
                               ', '.join(self.expr(n, frame) for n in node.nodes))
        if kind == 'Compare':
            code = self.expr(node.expr, frame)
            for op in node.ops:
                code += ' %s %s' % (_COMPARE[op.op], self.expr(op.expr, frame))
            return '(%s)' % code
        self.refuse(node)

    def filter(self, node, frame):
        fn = FILTERS.get(node.name)
        if fn is None:
            self.refuse(node, 'the filter "|%s"' % node.name)
        return '%s(%s)' % (self.use(fn), self.arguments(node, frame, node.node))

    def arguments(self, node, frame, first=None):
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, '*args or **kwargs in a call')
        parts = [self.expr(first, frame)] if first is not None else []
        parts.extend(self.expr(a, frame) for a in node.args)
        parts.extend('%s=%s' % (k.key, self.expr(k.value, frame)) for k in node.kwargs)
        return ', '.join(parts)


def _assigned(body, nodes):
    """Names ``{% set %}`` assigns in *body*, looking into ``{% if %}`` but
    not into loops or blocks (they have their own scope)."""
    found = []
    for node in body:
        if isinstance(node, nodes.Assign):
            targets = node.target.items if isinstance(node.target, nodes.Tuple) else [node.target]
            found.extend(t.name for t in targets if isinstance(t, nodes.Name))
        elif isinstance(node, nodes.If):
            found.extend(_assigned(node.body, nodes))
            for elif_ in node.elif_:
                found.extend(_assigned(elif_.body, nodes))
            found.extend(_assigned(node.else_, nodes))
    return found


#: ``loop`` attributes that need no look-ahead: a loop using only these
#: iterates its items as they come (a generator of rows is never held whole).
_STREAMING_LOOP = ('index', 'index0', 'first', 'cycle')


def _loop_needs_items(body, nodes):
    """Whether the ``loop`` of a for *body* needs all items up front
    (``length``, ``last``, ``revindex``, ``nextitem``... or ``loop`` itself
    passed on)."""
    reads = [n for n in _names_read(body, nodes) if n.name == 'loop']
    streaming = [g for g in _walk(body, nodes) if isinstance(g, nodes.Getattr)
                 and isinstance(g.node, nodes.Name) and g.node.name == 'loop'
                 and g.attr in _STREAMING_LOOP]
    return len(streaming) != len(reads)


def _walk(body, nodes):
    for node in body:
        if isinstance(node, nodes.Block):
            continue
        if isinstance(node, nodes.For):
            yield from node.iter.find_all(nodes.Node)
            continue
        yield node
        yield from _walk(list(node.iter_child_nodes()), nodes)


def _names_read(body, nodes):
    """The Name nodes read in *body*, not looking into nested loops (their
    ``loop`` is their own) or blocks."""
    for node in body:
        if isinstance(node, (nodes.Block,)):
            continue
        if isinstance(node, nodes.For):
            yield from node.iter.find_all(nodes.Name)
            continue
        if isinstance(node, nodes.Name):
            yield node
        yield from _names_read(list(node.iter_child_nodes()), nodes)
