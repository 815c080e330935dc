"""Every difference between CPython and MicroPython, handled in one place.

Portable modules import what they need from here instead of scattering
``try/except ImportError``. On CPython the standard library does the work;
on MicroPython small stand-ins take over.
"""
import sys

MICROPYTHON = sys.implementation.name == 'micropython'


def load_pluggy():
    """pluggy on CPython; on MicroPython the stand-in for the subset plugdot
    uses (loaded only where no bundled hook table replaces it)."""
    try:
        import pluggy
    except ImportError:
        from . import _hooks as pluggy
    return pluggy

# Argument names recorded ahead of time (by `plugdot bundle`, or by hand with
# register_signature) for interpreters that cannot inspect functions.
_SIGNATURES = {}


_NAMED_SIGNATURES = {}


def register_method_signature(owner, name, params, types=None):
    """Record the parameters of method *name* of the class named *owner*,
    and the type names (``'int'``, ``'float'``, ``'bool'``, ``'str'``) of the
    annotated ones in *types* (what a ``plugdot bundle`` writes for
    class-style handlers, before the app's module is imported)."""
    _NAMED_SIGNATURES[(owner, name)] = (tuple(params), types or {})


def method_signature(owner, name):
    """``(parameters, types)`` recorded for *owner*.*name*, or None."""
    return _NAMED_SIGNATURES.get((owner, name))


def register_signature(fn, params):
    """Record the parameters of *fn* for interpreters without ``inspect``.

    *params* is a sequence of ``(name, default)`` pairs in order, where
    *default* is :data:`REQUIRED` for a required parameter; a name starting
    with ``*`` stands for ``*args``, and ``'*'`` alone for the ``*`` that
    makes the parameters after it keyword-only.
    """
    _SIGNATURES[fn] = tuple(params)


if MICROPYTHON:
    #: The default of a required parameter in a recorded signature (a plain
    #: object on a board, where a class of its own costs heap).
    REQUIRED = object()

    import asyncio
    import json
    import time as _time

    _clock = [_time.ticks_ms(), 0]  # last ticks read, milliseconds counted so far

    def monotonic():
        """Seconds (a float) on a clock that never goes back, from an
        arbitrary start: built on ``time.ticks_ms()``, whose wrap-around it
        follows as long as it is read at least once every few days."""
        now = _time.ticks_ms()
        _clock[1] += _time.ticks_diff(now, _clock[0])
        _clock[0] = now
        return _clock[1] / 1000

    def json_dumps(value):
        """Compact JSON text of *value*."""
        return json.dumps(value, separators=(',', ':'))

    def latin1(data):
        """*data* (bytes) decoded as Latin-1 (MicroPython decodes only UTF-8)."""
        try:
            text = str(data, 'utf-8')
            if len(text) == len(data):  # all ASCII, the usual case
                return text
        except UnicodeError:
            pass
        return ''.join([chr(b) for b in data])

    def utf8(data):
        """*data* decoded as strict UTF-8; UnicodeError (a ValueError) if
        invalid. MicroPython's decoder checks the byte structure only: overlong
        forms, surrogates and code points past U+10FFFF are refused here."""
        text = str(data, 'utf-8')
        if len(text) != len(data):
            i = 0
            for b in data:
                if b >= 0xc0 and (b < 0xc2 or b > 0xf4 or (b == 0xe0 and data[i + 1] < 0xa0)
                                  or (b == 0xed and data[i + 1] > 0x9f)
                                  or (b == 0xf0 and data[i + 1] < 0x90)
                                  or (b == 0xf4 and data[i + 1] > 0x8f)):
                    raise UnicodeError('invalid UTF-8')
                i += 1
        return text

    json_loads = json.loads

    _GENERATOR = type((lambda: (yield))())

    def isawaitable(value):
        """True if *value* must be awaited (MicroPython coroutines are generators)."""
        return type(value) is _GENERATOR

    def handler_kind(fn):
        """How to call a handler: always call, then await if needed."""
        return 'check'

    # MicroPython cannot tell a coroutine from a generator (both are the same
    # type, and `async def` with `yield` makes one too): run it and see. Its
    # asyncio suspends a task by yielding None; any other value is an item.
    # One generator (not a coroutine calling a helper): it is on the stack
    # of every request a plain `def` or an `async def` handler answers.
    def settle(gen, stream=None):
        """Run *gen* on the current task up to its first item. Its result if
        it returns first (a coroutine), else its items as an async iterator
        (see ``plugdot._streams.stream_of``). With *stream* (that iterator) the next
        item, StopAsyncIteration at the end. A coroutine that returns a
        generator (``async def`` returning ``generate()``) is run on too:
        its items, or TypeError if it returns a value first (the handler
        returned a coroutine it did not await)."""
        thrown = None
        returned = False
        while True:
            try:
                item = gen.send(None) if thrown is None else gen.throw(thrown)
            except StopIteration as stop:
                if stream is not None:
                    raise StopAsyncIteration
                value = stop.value
                if returned:
                    if value is None:
                        return iter(())  # an empty stream, as it was
                    raise TypeError('returned a coroutine: a call to an async function is '
                                    'missing "await" (write "return await ...")')
                if type(value) is not _GENERATOR:
                    return value
                gen, returned = value, True
                continue
            thrown = None
            if item is not None:
                if stream is not None:
                    return item
                # Its items: sent by plugdot._streams, which holds their iterator's
                # code. (No `from ... import`: a local more would grow this
                # generator, on the stack of every request, by a slot.)
                return import_module('plugdot._streams').GeneratorStream(item, gen)
            try:
                yield  # suspended (a sleep, I/O): so is this task
            except BaseException as exc:  # cancelled or timed out: tell *gen*
                thrown = exc

    def signature(fn):
        """The recorded parameters of *fn* (see register_signature), or None."""
        fn = getattr(fn, '__func__', fn)
        return _SIGNATURES.get(fn)

    def annotations(fn):
        """Parameter annotations are not kept by MicroPython."""
        return {}

    def call_problem(fn, names, positional=1):
        """Not checked on MicroPython: None."""
        return None

    log_line = print  # one line on the console

    def log_exception(message, exc):
        """Print *exc* with its traceback on the console."""
        print(message)
        sys.print_exception(exc)

    def format_exception(exc):
        """Return the traceback of *exc* as text."""
        import io
        buf = io.StringIO()
        sys.print_exception(exc, buf)
        return buf.getvalue()

    async def run_sync(fn, *args, **kwargs):
        """MicroPython has no threads to spare: run *fn* inline."""
        return fn(*args, **kwargs)

    class context_slot:
        """A value local to the running task: a per-task slot, standing in
        for a context variable."""

        def __init__(self, name):
            self._values = {}

        def set(self, value):
            task = asyncio.current_task()
            old = self._values.get(task)
            self._values[task] = value
            return (task, old)

        def reset(self, token):
            task, old = token
            if old is None:
                self._values.pop(task, None)
            else:
                self._values[task] = old

        def get(self, default=None):
            return self._values.get(asyncio.current_task(), default)

else:
    class _Required:
        def __repr__(self):
            return 'REQUIRED'

    REQUIRED = _Required()

    import asyncio
    import contextvars
    from time import monotonic  # noqa: F401  (plugdot.monotonic)
    import inspect
    import logging
    import traceback

    _NONFINITE_KEYS = {'nan': 'NaN', 'inf': 'Infinity', '-inf': '-Infinity'}  # as json writes keys

    def _finite(value):
        # *value* with NaN and Infinity as None: JSON has no such numbers
        # (json would write NaN, which JSON.parse refuses; orjson writes null).
        if isinstance(value, float):
            return value if value - value == 0 else None
        if isinstance(value, dict):
            return dict((_NONFINITE_KEYS[repr(k)] if isinstance(k, float) and k - k != 0 else k,
                         _finite(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [_finite(v) for v in value]
        return value

    def _stdlib_json_dumps(text=True):
        # json.dumps builds a new C encoder on every call; building it once
        # halves the cost of a small JSON response. Without markers a cyclic
        # value ends in RecursionError (a 500) instead of ValueError.
        # Non-ASCII characters are written as themselves (UTF-8), as orjson
        # writes them; a lone surrogate, which UTF-8 cannot hold (orjson
        # refuses it), as its \u escape.
        import json
        from json.encoder import c_make_encoder, encode_basestring
        python_encode = json.JSONEncoder(separators=(',', ':'), ensure_ascii=False,
                                         allow_nan=False).encode
        if c_make_encoder is None:
            encode = python_encode
        else:
            encoder = c_make_encoder(None, json.JSONEncoder().default, encode_basestring,
                                     None, ':', ',', False, False, False)

            def encode(value):
                if isinstance(value, str):
                    return python_encode(value)
                return ''.join(encoder(value, 0))

        def json_dumps(value):
            """Compact JSON text of *value*; NaN and Infinity are null."""
            try:
                out = encode(value)
            except ValueError:  # NaN or Infinity somewhere: rare, so found only now
                out = encode(_finite(value))
            if out.isascii():  # a flag of the str: free
                return out
            try:
                out.encode()
            except UnicodeEncodeError:
                return out.encode('utf-8', 'backslashreplace').decode()
            return out

        def json_body(value):
            """Compact JSON of *value* as UTF-8 bytes."""
            try:
                out = encode(value)
            except ValueError:
                out = encode(_finite(value))
            try:
                return out.encode()
            except UnicodeEncodeError:  # a lone surrogate, only ever inside a string
                return out.encode('utf-8', 'backslashreplace')
        return json_dumps if text else json_body

    def _orjson_dumps(orjson, stdlib, text=True):
        # orjson (``pip install 'plugdot[fast]'``) where its bytes are the
        # standard library's; the standard library (*stdlib*, which returns
        # what this returns) for the rest: floats below 1e-4 (orjson writes
        # 0.00001 and 1e-7 where repr writes 1e-05 and 1e-07), integers
        # past 64 bits, keys that are not strings, subclasses of the
        # built-in types, lone surrogates (all refused by orjson with this
        # option and no default). Both write UTF-8 and NaN and Infinity as
        # null. With *text* false the encoder returns bytes: a response
        # sends orjson's as they are.
        import re
        # `find(b'e-')` first (~1,200 instructions fewer than the regex on
        # 1 KB, callgrind, CPython 3.11): "e-" is rare outside such floats,
        # and the regex decides when it is there. A string holding "e-5"
        # or "0.0000" only costs the standard library's encoding, never
        # other bytes.
        one_digit_exponent = re.compile(rb'e-[0-9](?![0-9])').search
        dumps = orjson.dumps
        options = (orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_SUBCLASS)

        # find, not `in`: `bytes in bytes` first tries the needle as an int
        # and formats a TypeError (~0.1 µs) before it searches.
        if text:
            def json_dumps(value):
                """Compact JSON text of *value*."""
                try:
                    out = dumps(value, None, options)
                except TypeError:
                    return stdlib(value)
                if out.find(b'0.0000') < 0 and (out.find(b'e-') < 0
                                                or one_digit_exponent(out) is None):
                    return out.decode()
                return stdlib(value)
            return json_dumps

        def json_body(value):
            """Compact JSON of *value* as UTF-8 bytes."""
            try:
                out = dumps(value, None, options)
            except TypeError:
                return stdlib(value)
            if out.find(b'0.0000') < 0 and (out.find(b'e-') < 0
                                            or one_digit_exponent(out) is None):
                return out
            return stdlib(value)
        return json_body

    def _make_json_dumps(text=True):
        stdlib = _stdlib_json_dumps(text)
        try:
            import orjson
        except ImportError:
            return stdlib
        return _orjson_dumps(orjson, stdlib, text)

    _json_dumps = _json_body = None

    def json_dumps(value):
        """Compact JSON text of *value* (the encoder is built on first use,
        so that importing plugdot does not import json)."""
        global _json_dumps
        if _json_dumps is None:
            _json_dumps = _make_json_dumps()
        return _json_dumps(value)

    def json_body(value):  # noqa: F811 (it replaces itself on first use)
        """Compact JSON of *value* as UTF-8 bytes, what a response sends:
        orjson's own bytes when they are the standard library's (see
        json_dumps). Built on first use, which also puts the built function
        in its place here: ``_compat.json_body`` then calls it with no call
        between."""
        global _json_body, json_body
        if _json_body is None:
            _json_body = _make_json_dumps(False)
        json_body = _json_body
        return _json_body(value)

    _json_loads = None

    def _make_json_loads():
        import json
        stdlib = json.loads
        try:
            import orjson
            fast = orjson.loads
        except ImportError:
            fast = None
        # One pass in C (translate) maps digits and '-' to '0', the rest to
        # ' ', and deletes '[' and '{': the bytes it deletes bound
        # the nesting, and a run of 20 '0's may be an integer past 64 bits
        # (20 digits, or '-' and 19), which orjson reads as a float: the
        # standard library takes those (a regex would cost more than the
        # parse). Deleting costs less than counting in a second pass, and
        # bytearray's translate less than bytes' (which also notes whether
        # anything changed), copy included: ~9,600 -> ~7,500 instructions
        # for 1 KB.
        table = bytes(48 if 48 <= i <= 57 or i == 45 else 32 for i in range(256))
        run = b'0' * 20

        def json_loads(text, max_depth=None):
            """The value of JSON *text* (str or bytes); ValueError if it is
            not JSON; :class:`plugdot.jsonlimit.TooDeep` past *max_depth*."""
            raw = text.encode('utf-8', 'surrogatepass') if isinstance(text, str) else text
            mapped = bytearray(raw).translate(table, b'[{')
            if max_depth is not None and len(raw) - len(mapped) > max_depth:
                from .jsonlimit import deep_loads  # may nest too deep: rare
                return deep_loads(text, max_depth)
            if fast is not None and mapped.find(run) < 0:
                try:
                    return fast(raw)
                except ValueError:
                    pass
            # What orjson refuses or reads otherwise (NaN, integers past 64
            # bits, UTF-16, a BOM, escaped lone surrogates): the standard
            # library decides.
            return stdlib(text)
        return json_loads

    def json_loader():
        """The function behind :func:`json_loads`, built on first use (the
        caller of every request saves a call through json_loads)."""
        global _json_loads
        if _json_loads is None:
            _json_loads = _make_json_loads()
        return _json_loads

    def json_loads(text, max_depth=None):
        """The value of JSON *text* (str or bytes); ValueError if it is not
        JSON. orjson when installed, with the standard library's results.
        With *max_depth*, :class:`plugdot.jsonlimit.TooDeep` past that
        nesting (see :func:`plugdot.jsonlimit.loads`)."""
        return (_json_loads or json_loader())(text, max_depth)

    _logger = logging.getLogger('plugdot')

    def latin1(data):
        """*data* (bytes) decoded as Latin-1."""
        return data.decode('latin-1')

    def utf8(data):
        """*data* decoded as strict UTF-8; UnicodeError (a ValueError) if invalid."""
        return data.decode('utf-8')

    def isawaitable(value):
        """True if *value* must be awaited."""
        return hasattr(value, '__await__')

    async def settle(value):
        """The result of awaiting *value*."""
        return await value

    def stream_of(body):
        """A response body safe to stream (any iterator is, on CPython; a
        board's is in plugdot._streams, which alone uses it)."""
        return body

    def handler_kind(fn):
        """How to call a handler: ``'async'`` (await it), ``'inline'`` (call
        it on the loop: it returns an iterator) or ``'thread'`` (run it off
        the event loop)."""
        call = type(fn).__call__ if not inspect.isroutine(fn) else None  # callable objects
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call):
            return 'async'
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            return 'inline'
        return 'thread'

    def signature(fn):
        """The parameters of *fn* as ``(name, default)`` pairs, without ``self``."""
        recorded = _SIGNATURES.get(getattr(fn, '__func__', fn))
        if recorded is not None:
            return recorded
        params = []
        for p in inspect.signature(fn).parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                params.append(('*' + p.name, REQUIRED))
            elif p.kind is p.VAR_KEYWORD:
                continue
            else:
                if p.kind is p.KEYWORD_ONLY and not any(n[0] == '*' for n, _ in params):
                    params.append(('*', REQUIRED))  # def f(a, *, b): b is keyword-only
                params.append((p.name, REQUIRED if p.default is p.empty else p.default))
        return tuple(params)

    def annotations(fn):
        """The evaluated parameter annotations of *fn*."""
        try:
            return inspect.get_annotations(fn, eval_str=True)
        except Exception:  # an unresolvable string annotation: ignore them all
            return {}

    def call_problem(fn, names, positional=1):
        """Why *fn* cannot be called with *positional* arguments (the
        request...) and keyword arguments *names*, or None."""
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return None
        try:
            sig.bind(*([None] * positional), **dict.fromkeys(names))
        except TypeError as exc:
            return str(exc)
        return None

    def log_line(message):
        """Log one line (an error, without traceback) on the ``plugdot`` logger."""
        _logger.error(message)

    def log_exception(message, exc):
        """Log *exc* with its traceback on the ``plugdot`` logger."""
        _logger.error(message, exc_info=(type(exc), exc, exc.__traceback__))

    def format_exception(exc):
        """Return the traceback of *exc* as text."""
        return ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    async def run_sync(fn, *args, **kwargs):
        """Run the blocking *fn* in a worker thread, keeping the context."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def context_slot(name):
        """A value local to the running task (a context variable)."""
        return contextvars.ContextVar(name, default=None)


# -- shared by the core and the servers --------------------------------------

def unquote(text, plus=False):
    """Percent-decode *text* as UTF-8 (``+`` is a space when *plus*).

    Raises ValueError on a malformed ``%`` escape or invalid UTF-8, so that
    callers can answer 400 instead of guessing.
    """
    if plus:
        text = text.replace('+', ' ')
    if '%' not in text:
        return text
    parts = text.split('%')
    out = bytearray(parts[0].encode())
    for part in parts[1:]:
        if len(part) < 2 or part[0] not in '0123456789abcdefABCDEF' \
                or part[1] not in '0123456789abcdefABCDEF':
            raise ValueError('malformed percent-escape in %r' % text[:64])
        out.append(int(part[:2], 16))
        out.extend(part[2:].encode())
    return utf8(bytes(out))


# -- shared by both plugin managers (plugins.py, _table.py) ---------------------

def positional(function, argnames, spec_args):
    """*function* callable positionally with every argument of its hook, when
    it takes only *argnames* (a subset, in any order); None means all."""
    if argnames is None or tuple(argnames) == tuple(spec_args):
        return function
    index = tuple(spec_args.index(n) for n in argnames)
    return lambda *args: function(*[args[i] for i in index])


def import_module(name):
    """The module (or object) at dotted *name*: ``__import__`` returns the
    top package, MicroPython has no importlib."""
    module = __import__(name)
    for part in name.split('.')[1:]:
        module = getattr(module, part)
    return module
