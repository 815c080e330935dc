"""Small data structures of HTTP: :class:`Headers`, :class:`MultiDict`, and
the decoding of query strings, forms and cookie headers (percent-decoding,
:func:`unquote`, is :mod:`plugdot._compat`'s, which a board loads at start:
a board loads this module on first use, and a hello app never does)."""
from ._compat import latin1, unquote  # noqa: F401  (public here too)
from .errors import MissingKey


class MultiDict(dict):
    """A dict of the first value of each key that also keeps every value:
    ``d['tag']`` is the first, ``d.getlist('tag')`` all of them in order."""

    def __init__(self, pairs=None):
        super().__init__()
        self._lists = {}
        if pairs:
            items = pairs.items() if isinstance(pairs, dict) else pairs
            for key, value in items:
                self.add(key, value)

    def add(self, key, value):
        """Append *value* to the values of *key*."""
        values = self._lists.get(key)
        if values is None:
            self._lists[key] = [value]
            super().__setitem__(key, value)
        else:
            values.append(value)

    def __getitem__(self, key):
        # The class as the marker: MicroPython's dict.__getitem__ refuses a
        # subclass, and a missing key is the client's mistake (a 400).
        value = self.get(key, MultiDict)
        if value is MultiDict:
            raise MissingKey(key)
        return value

    def __setitem__(self, key, value):
        self._lists[key] = [value]
        super().__setitem__(key, value)

    def __delitem__(self, key):
        super().__delitem__(key)
        del self._lists[key]

    def getlist(self, key):
        """Every value of *key*, in order (an empty list if there is none)."""
        return list(self._lists.get(key, ()))

    def items_all(self):
        """Every ``(key, value)`` pair, repeated keys included."""
        return [(k, v) for k in self._lists for v in self._lists[k]]


class Headers:
    """Case-insensitive, multi-valued HTTP headers, in their order.

    ``h['Content-Type']`` and ``h['content-type']`` are the same; setting a
    name replaces all its values, :meth:`add` appends one (``Set-Cookie``).
    """

    def __init__(self, items=None):
        self._items = []
        if items:
            items = items.items() if hasattr(items, 'items') else items
            for name, value in items:
                self._items.append((str(name), str(value)))

    @classmethod
    def from_asgi(cls, raw):
        """Headers from an ASGI list of ``(bytes, bytes)`` pairs."""
        h = cls()
        h._items = [(latin1(k), latin1(v)) for k, v in raw]
        return h

    def get(self, name, default=None):
        """The first value of *name*, or *default*."""
        name = name.lower()
        for k, v in self._items:
            if k.lower() == name:
                return v
        return default

    def getlist(self, name):
        """Every value of *name*, in order."""
        name = name.lower()
        return [v for k, v in self._items if k.lower() == name]

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name, value):
        self.remove(name)
        self._items.append((name, str(value)))

    def __delitem__(self, name):
        if name not in self:
            raise KeyError(name)
        self.remove(name)

    def remove(self, name):
        """Remove every value of *name* (no error if there is none)."""
        low = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != low]

    def add(self, name, value):
        """Add a value for *name*, keeping the values already there."""
        self._items.append((name, str(value)))

    def setdefault(self, name, value):
        """Set *name* to *value* unless it is present; return its value."""
        current = self.get(name)
        if current is None:
            self._items.append((name, str(value)))
            return str(value)
        return current

    def update(self, other):
        """Replace the values of each name in *other* (a mapping or pairs);
        a name repeated in *other* keeps every value (``Set-Cookie``)."""
        items = list(other.items() if hasattr(other, 'items') else other)
        names = [str(name).lower() for name, _ in items]
        self._items = [kv for kv in self._items if kv[0].lower() not in names]
        for name, value in items:
            self._items.append((str(name), str(value)))

    def __contains__(self, name):
        return self.get(name) is not None

    def __iter__(self):
        return iter([k for k, _ in self._items])

    def __len__(self):
        return len(self._items)

    def items(self):
        """``(name, value)`` pairs, repeated names included."""
        return list(self._items)

    def keys(self):
        """Every header name (with repeats), as given."""
        return [k for k, _ in self._items]

    def __eq__(self, other):
        return isinstance(other, Headers) and self._items == other._items

    def __repr__(self):
        return 'Headers(%r)' % (self._items,)


def parse_query(text, plus=True):
    """Parse ``a=1&b=2&a=3`` into a :class:`MultiDict` (ValueError if malformed)."""
    result = MultiDict()
    if not text:
        return result
    for pair in text.split('&'):
        if not pair:
            continue
        key, _, value = pair.partition('=')
        result.add(unquote(key, plus), unquote(value, plus))
    return result


def parse_cookies(header):
    """Parse a ``Cookie`` header into a dict; malformed pieces are skipped."""
    cookies = {}
    if not header:
        return cookies
    for piece in header.split(';'):
        name, sep, value = piece.partition('=')
        name = name.strip()
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) > 1 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, value)
    return cookies
