"""A small streaming ``multipart/form-data`` parser: bytes in, events out.

Portable (MicroPython and CPython) and sans-IO: :meth:`Parser.feed` takes
the body as it arrives, in pieces of any size, and yields events:

* ``(PART, headers)`` — a part begins; *headers* is a list of
  ``(lower-case name, value)`` strings;
* ``(DATA, bytes)`` — some of the current part's content;
* ``(END, None)`` — the current part ended.

:meth:`Parser.close` checks that the closing delimiter was seen. What is
not multipart raises :class:`MultipartError`. Memory is bounded by the
piece fed plus the part header limit, whatever the size of a part.
On CPython the plugin uses python-multipart behind the same interface
(:mod:`plugdot_uploads._pm`); both are run against one test corpus.
"""

PART = 1
DATA = 2
END = 3

_START, _HEADERS, _BODY, _AFTER, _DONE = 0, 1, 2, 3, 4
# RFC 9110 token characters: what a header name may contain.
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class MultipartError(ValueError):
    """The body is not valid multipart, or breaks a limit; ``status`` is the
    HTTP status to answer with (400, or 413 for a size limit)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def check_boundary(boundary, max_length):
    """Raise :class:`MultipartError` unless *boundary* (str) is usable."""
    if not boundary:
        raise MultipartError('multipart body without a boundary')
    if len(boundary) > max_length:
        raise MultipartError('multipart boundary longer than %d characters' % max_length)
    for ch in boundary:
        if ord(ch) < 32 or ord(ch) > 126:
            raise MultipartError('invalid character in the multipart boundary')


def parse_header_block(block, max_count):
    """Parse the header lines of one part (bytes without the blank line)
    into ``[(name, value)]``; names lower case, values stripped."""
    headers = []
    if not block:
        return headers
    for line in block.split(b'\r\n'):
        if len(headers) >= max_count:
            raise MultipartError('too many part headers (limit %d)' % max_count)
        name, colon, value = line.partition(b':')
        if not colon or not name:
            raise MultipartError('malformed part header')
        for ch in name:
            if ch not in _TCHAR:
                raise MultipartError('malformed part header')
        for ch in value:
            if ch < 32 and ch != 9 or ch == 127:
                raise MultipartError('control character in a part header')
        headers.append((name.decode().lower(), _text(value.strip())))
    return headers


def _text(raw):
    try:
        return raw.decode('utf-8')
    except UnicodeError:  # Latin-1 (MicroPython decodes UTF-8 only)
        return ''.join(chr(b) for b in raw)


class Parser:
    """The portable streaming parser for one body with *boundary* (str)."""

    def __init__(self, boundary, max_header_size=4096, max_header_count=8):
        self.delimiter = b'\r\n--' + boundary.encode()
        self.max_header_size = max_header_size
        self.max_header_count = max_header_count
        self.state = _START
        self.buffer = b''

    def feed(self, data):
        """Yield the events found in *data* (the next bytes of the body)."""
        buf = self.buffer + data if self.buffer else data
        self.buffer = b''
        # Positions, not slices of what is left: one big piece of many small
        # parts must stay linear.
        pos, n = 0, len(buf)
        delimiter = self.delimiter
        size = len(delimiter)
        while True:
            state = self.state
            if state == _BODY:
                i = buf.find(delimiter, pos)
                if i >= 0:
                    j = i + size
                    if n < j + 2:
                        if i > pos:
                            yield DATA, buf[pos:i]
                        self.buffer = buf[i:]
                        return
                    mark = buf[j:j + 2]
                    if mark != b'\r\n' and mark != b'--':
                        # Not a delimiter line, so content (as python-multipart reads it).
                        yield DATA, buf[pos:j]
                        pos = j
                        continue
                    if i > pos:
                        yield DATA, buf[pos:i]
                    yield END, None
                    pos = j
                    self.state = _AFTER
                    continue
                # Keep what could be the start of a delimiter split between pieces.
                keep = buf.find(b'\r', max(pos, n - size + 1))
                if keep < 0:
                    keep = n
                if keep > pos:
                    yield DATA, buf[pos:keep]
                self.buffer = buf[keep:]
                return
            if state == _HEADERS:
                if buf[pos:pos + 2] == b'\r\n':
                    block, nxt = b'', pos + 2
                else:
                    i = buf.find(b'\r\n\r\n', pos)
                    if i < 0 or i - pos > self.max_header_size:
                        if n - pos > self.max_header_size + 4:
                            raise MultipartError('part headers larger than %d bytes'
                                                 % self.max_header_size)
                        self.buffer = buf[pos:]
                        return
                    block, nxt = buf[pos:i], i + 4
                yield PART, parse_header_block(block, self.max_header_count)
                pos = nxt
                self.state = _BODY
                continue
            if state == _AFTER:
                if n - pos < 2:
                    self.buffer = buf[pos:]
                    return
                mark = buf[pos:pos + 2]
                if mark == b'\r\n':
                    self.state = _HEADERS
                elif mark == b'--':
                    self.state = _DONE
                else:
                    raise MultipartError('malformed multipart delimiter')
                pos += 2
                continue
            if state == _START:
                # Leading blank lines are tolerated (as python-multipart does);
                # a preamble is not: browsers never send one.
                while pos < n and buf[pos] in (13, 10):
                    pos += 1
                first = delimiter[2:]
                got = buf[pos:pos + len(first)]
                if got != first[:len(got)]:
                    raise MultipartError('multipart body does not start with its boundary')
                if len(got) < len(first):
                    self.buffer = got
                    return
                pos += len(first)
                self.state = _AFTER
                continue
            # _DONE: only line breaks may follow the closing delimiter.
            for ch in buf[pos:]:
                if ch != 13 and ch != 10:
                    raise MultipartError('data after the closing multipart boundary')
            return

    def close(self):
        """The body ended: raise :class:`MultipartError` if it was cut short."""
        if self.state != _DONE:
            raise MultipartError('truncated multipart body')


def parse_options(value):
    """Split a header value like ``form-data; name="a"; filename="b.txt"``
    into ``('form-data', {'name': 'a', 'filename': 'b.txt'})``. Quoted
    values may escape ``"`` and ``\\`` with a backslash; any other backslash
    is kept (old browsers send Windows paths)."""
    kind, _, rest = value.partition(';')
    params = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in ' \t;':
            i += 1
        start = i
        while i < n and rest[i] not in '=;':
            i += 1
        key = rest[start:i].strip().lower()
        if i >= n or rest[i] == ';':
            continue
        i += 1
        while i < n and rest[i] in ' \t':
            i += 1
        if i < n and rest[i] == '"':
            i += 1
            out = []
            while i < n and rest[i] != '"':
                ch = rest[i]
                if ch == '\\' and i + 1 < n and rest[i + 1] in '"\\':
                    i += 1
                    ch = rest[i]
                out.append(ch)
                i += 1
            i += 1
            val = ''.join(out)
        else:
            start = i
            while i < n and rest[i] != ';':
                i += 1
            val = rest[start:i].strip()
        if key and key not in params:
            params[key] = val
    return kind.strip().lower(), params
