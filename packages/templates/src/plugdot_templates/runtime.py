"""What compiled templates call at run time (portable: this is the board's
template engine).

:mod:`plugdot_templates.compiler` turns each template into a module of
generator functions (``root`` and one per block) that yield pieces of the
page; every value they output goes through :func:`escape` unless it is
:class:`Markup`. The filters and tests here reproduce Jinja2's output
byte for byte for the documented subset (docs/templates.md), which the
conformance corpus checks under both interpreters.
"""


class Markup(str):
    """A string that is already HTML: output as is, never escaped again
    (``|safe``, ``|e``, ``|tojson`` return one). Anything with an
    ``__html__`` method (markupsafe's Markup) is treated the same."""

    def __html__(self):
        return self


class UndefinedError(Exception):
    """An attribute or item of an undefined value was read (as in Jinja2)."""


class Undefined:
    """A missing variable, attribute or item: prints as nothing, is false,
    iterates as empty; reading an attribute of it raises UndefinedError."""

    def __init__(self, name=''):
        self.name = name

    def __str__(self):
        return ''

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __len__(self):
        return 0

    def __eq__(self, other):
        return isinstance(other, Undefined)

    def __ne__(self, other):
        return not isinstance(other, Undefined)

    def __repr__(self):
        return 'Undefined'


UNDEFINED = Undefined()
_DICT_ATTRIBUTES = frozenset(dir(dict))


def html(value):
    """*value* as HTML text, a plain ``str`` (what compiled templates
    output): ``& < > " '`` replaced as markupsafe does; Markup (and
    anything with ``__html__``) unchanged."""
    if type(value) is not str:
        if isinstance(value, Markup):
            return str(value)
        method = getattr(value, '__html__', None)
        if method is not None:
            return str(method())
        value = str(value)
    if '&' in value:
        value = value.replace('&', '&amp;')
    if '<' in value:
        value = value.replace('<', '&lt;')
    if '>' in value:
        value = value.replace('>', '&gt;')
    if '"' in value:
        value = value.replace('"', '&#34;')
    if "'" in value:
        value = value.replace("'", '&#39;')
    return value


def escape(value):
    """*value* escaped as :func:`html` does, as :class:`Markup` (the ``|e``
    filter)."""
    if isinstance(value, Markup):
        return value
    return Markup(html(value))


def _is_markup(value):
    return isinstance(value, Markup) or hasattr(value, '__html__')


def _soft_str(value):
    # Always a plain str: MicroPython's str methods refuse str subclasses as
    # arguments, so Markup-ness is decided from the original value.
    return value if type(value) is str else str(value)


def _like(value, text):
    # A string method's result keeps the value's Markup-ness (as markupsafe's).
    return Markup(text) if _is_markup(value) else str(text)


def getattr_(obj, name):
    """``obj.name`` as Jinja2 reads it: the attribute, else the item, else
    undefined."""
    if type(obj) is dict and name not in _DICT_ATTRIBUTES:
        # The common case (rows as dicts) without the AttributeError of a
        # dict's missing attribute: the same answer, several times faster.
        value = obj.get(name, UNDEFINED)
        return Undefined(name) if value is UNDEFINED else value
    if isinstance(obj, Undefined):
        raise UndefinedError('%r is undefined (reading .%s)' % (obj.name or 'value', name))
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        return Undefined(name)


def getitem(obj, key):
    """``obj[key]`` as Jinja2 reads it: the item, else the attribute (for a
    string key), else undefined."""
    if isinstance(obj, Undefined):
        raise UndefinedError('%r is undefined (reading [%r])' % (obj.name or 'value', key))
    try:
        return obj[key]
    except (TypeError, LookupError, AttributeError):
        pass
    if isinstance(key, str):
        try:
            return getattr(obj, key)
        except AttributeError:
            pass
    return Undefined(str(key))


def concat(*parts):
    """Jinja2's ``~``: strings joined, escaped as a whole if any is Markup."""
    for part in parts:
        if _is_markup(part):
            return Markup(''.join([html(p) for p in parts]))
    return ''.join([_soft_str(p) for p in parts])


class Loop:
    """``loop`` inside ``{% for %}``: index, index0, revindex, revindex0,
    first, last, length, previtem, nextitem, cycle(...)."""

    def __init__(self, items):
        # items is None when the template uses only index, index0, first
        # and cycle: then the loop streams its items (see the compiler).
        self.items = items
        self.length = None if items is None else len(items)
        self.index0 = -1

    @property
    def index(self):
        """``loop.index``."""
        return self.index0 + 1

    @property
    def revindex(self):
        """``loop.revindex``."""
        return self.length - self.index0

    @property
    def revindex0(self):
        """``loop.revindex0``."""
        return self.length - self.index0 - 1

    @property
    def first(self):
        """``loop.first``."""
        return self.index0 == 0

    @property
    def last(self):
        """``loop.last``."""
        return self.index0 == self.length - 1

    @property
    def previtem(self):
        """``loop.previtem``."""
        return self.items[self.index0 - 1] if self.index0 > 0 else Undefined('previtem')

    @property
    def nextitem(self):
        """``loop.nextitem``."""
        i = self.index0 + 1
        return self.items[i] if i < self.length else Undefined('nextitem')

    def cycle(self, *values):
        """The value at this iteration's position, cycling through *values*."""
        return values[self.index0 % len(values)]


# -- filters (each as Jinja2's with autoescape on) --------------------------------

def f_safe(value):
    """``|safe``: *value* marked as trusted HTML."""
    return Markup('' if isinstance(value, Undefined) else str(value))


def f_default(value, default='', boolean=False):
    """``|default(d, boolean=False)`` / ``|d``: *d* when *value* is
    undefined (or false, with *boolean*)."""
    if isinstance(value, Undefined) or (boolean and not value):
        return default
    return value


def f_upper(value):
    """``|upper``."""
    return _like(value, _soft_str(value).upper())


def f_lower(value):
    """``|lower``."""
    return _like(value, _soft_str(value).lower())


def f_trim(value, chars=None):
    """``|trim(chars=None)``."""
    text = _soft_str(value)
    return _like(value, text.strip() if chars is None else text.strip(chars))


def f_length(value):
    """``|length`` / ``|count``."""
    return len(value)


def f_string(value):
    """``|string``: a string, Markup kept."""
    return value if _is_markup(value) else _soft_str(value)


def f_int(value, default=0):
    """``|int(default=0)``: an int, else *default*."""
    try:
        if isinstance(value, str):
            return int(value)
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def f_first(value):
    """``|first``: the first item, else undefined."""
    for item in value:
        return item
    return Undefined('first')


def f_last(value):
    """``|last``: the last item, else undefined."""
    value = list(value)
    return value[-1] if value else Undefined('last')


def f_replace(value, old, new, count=None):
    """``|replace(old, new, count=None)``."""
    old = _soft_str(old)
    # markupsafe's Markup.replace escapes the replacement
    new = html(new) if _is_markup(value) else _soft_str(new)
    text = _soft_str(value)
    done = text.replace(old, new) if count is None else text.replace(old, new, count)
    return _like(value, done)


def f_join(value, d='', attribute=None):
    """``|join(d='', attribute=None)``, escaping as Jinja2 does when an
    item or *d* is Markup."""
    value = list(value)
    if attribute is not None:
        value = [getattr_(v, attribute) for v in value]
    markup = _is_markup(d)
    for i in range(len(value)):
        if _is_markup(value[i]):
            markup = True
        else:
            value[i] = str(value[i])
    if markup:
        return Markup(html(d).join([html(v) for v in value]))
    return str(d).join(value)


def f_tojson(value):
    """``|tojson``: JSON safe inside ``<script>`` and attributes, as Markup."""
    text = dumps(value)
    for old, new in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026'), ("'", '\\u0027')):
        if old in text:
            text = text.replace(old, new)
    return Markup(text)


# -- tests ------------------------------------------------------------------------

def t_defined(value):
    """``is defined``."""
    return not isinstance(value, Undefined)


def t_undefined(value):
    """``is undefined``."""
    return isinstance(value, Undefined)


def t_none(value):
    """``is none``."""
    return value is None


def t_even(value):
    """``is even``."""
    return value % 2 == 0


def t_odd(value):
    """``is odd``."""
    return value % 2 == 1


def t_divisibleby(value, num):
    """``is divisibleby(num)``."""
    return value % num == 0


def t_string(value):
    """``is string``."""
    return isinstance(value, str)


def t_number(value):
    """``is number``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- JSON as Jinja2's tojson writes it (sorted keys, ASCII) ----------------------

_JSON_ESCAPES = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t',
                 '\b': '\\b', '\f': '\\f'}


def _json_str(text):
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif code < 32 or code > 126:
            if code > 0xFFFF:
                code -= 0x10000
                out.append('\\u%04x\\u%04x' % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
            else:
                out.append('\\u%04x' % code)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def dumps(value):
    """*value* as JSON, byte-identical to ``json.dumps(value, sort_keys=True)``."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return '{' + ', '.join(_json_str(str(k)) + ': ' + dumps(value[k])
                               for k in sorted(value)) + '}'
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(dumps(v) for v in value) + ']'
    raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


# -- rendering --------------------------------------------------------------------

#: Names every template sees unless the context has them.
GLOBALS = {'range': range, 'dict': dict}


def new_context(context):
    """The dict a compiled template reads its variables from."""
    ctx = dict(GLOBALS)
    ctx.update(context)
    return ctx


def derive(ctx, local):
    """The context an ``{% include %}`` gets: a copy of *ctx* with the
    includer's *local* variables (its changes never reach the includer)."""
    ctx = dict(ctx)
    ctx.update(local)
    return ctx


class CompiledEngine:
    """Renders compiled templates; *load* maps a template name to its module
    (``PARENT``, ``BLOCKS``, ``root``)."""

    def __init__(self, load):
        self.load_module = load
        self.modules = {}

    def load(self, name):
        """The compiled module of template *name* (kept once loaded)."""
        module = self.modules.get(name)
        if module is None:
            module = self.modules[name] = self.load_module(name)
        return module

    def generate(self, name, context, html=True):
        """The page as an iterator of strings."""
        return self.run(name, new_context(context))

    def run(self, name, ctx):
        """Run template *name* with the prepared *ctx* (includes call this)."""
        module = self.load(name)
        blocks = {}
        current = module
        while True:
            for block, fn in current.BLOCKS.items():
                blocks.setdefault(block, []).append(fn)
            if current.PARENT is None:
                break
            current = self.load(current.PARENT)
        return module.root(ctx, self, blocks)

    def render(self, name, context, html=True):
        """The page as a string."""
        return ''.join(self.generate(name, context))

    async def render_async(self, name, context, html=True):
        """The page as a string (compiled templates render synchronously)."""
        return self.render(name, context)

    async def stream(self, name, context, size):
        """An iterator of chunks of about *size* characters; the first chunk
        is rendered before this returns."""
        chunks = _chunks(self.generate(name, context), size)
        try:
            first = next(chunks)
        except StopIteration:
            return iter(())
        return _prepend(first, chunks)


def _chunks(pieces, size):
    buffer, length = [], 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield ''.join(buffer)
            buffer, length = [], 0
    if buffer:
        yield ''.join(buffer)


def _prepend(first, rest):
    yield first
    yield from rest
