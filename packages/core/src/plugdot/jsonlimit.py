"""JSON from clients, parsed with a nesting limit.

Deep nesting is a cheap attack: a 2 KB body of ``[`` is a RecursionError in
CPython's parser and fills a board's heap in MicroPython's. Loaded on first
use (the first JSON body), so that an app without one holds none of it.
"""
from ._compat import MICROPYTHON, json_loads


class TooDeep(ValueError):
    """Arrays and objects nest deeper than the limit."""


def loads(data, max_depth):
    """The value of JSON *data* (str or bytes, parsed by the core's
    ``json_loads``), refusing arrays and objects nested deeper than
    *max_depth* with :class:`TooDeep` (a ValueError, like any invalid JSON)."""
    text = isinstance(data, str)
    opens = data.count('[') + data.count('{') if text else data.count(b'[') + data.count(b'{')
    if opens > max_depth:  # look before parsing: the parser would fill the heap first
        _scan(data.encode() if text else data, max_depth)
    return json_loads(data)


if not MICROPYTHON:  # the core's parser counts the brackets in the same C pass: no call between
    from ._compat import json_loader
    loads = json_loader()  # noqa: F811


def deep_loads(data, max_depth):
    """CPython: the value of JSON *data* with more brackets than
    *max_depth*, which may nest too deep. Its parser in C, then a walk over
    the containers, is the faster way."""
    try:
        value = json_loads(data)
    except RecursionError:
        raise _too_deep(max_depth)
    _walk(value, max_depth)
    return value


def _too_deep(max_depth):
    return TooDeep('JSON nested deeper than %d levels' % max_depth)


def _scan(data, max_depth):
    depth = 0
    quoted = escaped = False
    for c in data:
        if quoted:
            if escaped:
                escaped = False
            elif c == 92:  # backslash
                escaped = True
            elif c == 34:  # "
                quoted = False
        elif c == 34:
            quoted = True
        elif c == 91 or c == 123:  # [ {
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth)
        elif c == 93 or c == 125:  # ] }
            depth -= 1


def _walk(value, max_depth):
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise _too_deep(max_depth)
        for item in (value.values() if isinstance(value, dict) else value):
            if isinstance(item, (list, dict)):
                stack.append((item, depth + 1))
