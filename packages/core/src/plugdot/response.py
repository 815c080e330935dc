"""The :class:`Response`, return-value conversion, cookies, redirects,
streaming and :func:`send_file` (the built-in ``plugdot_make_response``)."""
from ._compat import MICROPYTHON, json_dumps

# plugdot.datastructures.Headers: a board loads it with the first headers set.
# (Private: a bundle that loads datastructures at start merges it with this
# module, which must then bind no public name of its differently.)
if MICROPYTHON:
    _Headers = None
else:
    from .datastructures import Headers as _Headers

HTML = 'text/html; charset=utf-8'
TEXT = 'text/plain; charset=utf-8'
JSON = 'application/json'
BINARY = 'application/octet-stream'
# plugdot._tuples once a handler returns a tuple, plugdot._streams once a
# response streams (a board loads them then). Not named as the modules: a
# bundle merges this module into the package (a global named as a module is
# the package's attribute) and shortens its private names, not module names.
_tuple_module = _stream_module = None

# Constants used once or twice are written where used (the statuses without a
# body, (204, 304), the characters a cookie name must not hold): a module-level
# name is heap on a board.


if not MICROPYTHON:
    import re
    _CONTROL = re.compile('[\x00-\x1f\x7f]').search
    from . import _compat  # _compat.json_body: bytes, orjson's sent as they are
    _new = object.__new__


def _check_header_text(what, text, forbidden=''):
    bad = None
    if MICROPYTHON:
        # over bytes: iterating a str interns each character, heap kept for good
        for code in text.encode():
            if code < 32 or code == 127:
                bad = chr(code)
                break
    else:
        found = _CONTROL(text)
        bad = found.group() if found else None
    if bad is None:
        for ch in forbidden:
            if ch in text:
                bad = ch
                break
    if bad is not None:
        raise ValueError('invalid character %r in %s' % (bad, what))


class Response:
    """An HTTP response.

    *body* is ``str``, ``bytes``, or a sync or async iterator of chunks
    (streamed with chunked transfer). *headers* is a dict, a list of pairs
    or :class:`plugdot.Headers`. *content_type* defaults to HTML for text
    and streams, ``application/octet-stream`` for bytes.
    """

    _headers = None

    def __init__(self, body=b'', status=200, headers=None, content_type=None):
        if isinstance(body, (dict, list)):
            body = json_dumps(body)
            if content_type is None:
                content_type = JSON
        elif body is None:
            body = b''
        elif not isinstance(body, (str, bytes, bytearray)) and not (
                hasattr(body, '__aiter__') or hasattr(body, '__next__') or hasattr(body, 'send')):
            raise TypeError('a Response body must be str, bytes, a dict or list (sent as '
                            'JSON) or an iterator of chunks, not %s' % type(body).__name__)
        self.status = status
        self.body = body
        if headers:  # else the class's None: one attribute less per response
            global _Headers
            if MICROPYTHON and _Headers is None:
                from .datastructures import Headers as _Headers
            self._headers = _Headers(headers)
        if content_type is None and status not in (204, 304):
            content_type = BINARY if isinstance(body, bytes) else HTML
        self.content_type = content_type

    @property
    def headers(self):
        """The response headers (:class:`plugdot.Headers`); Content-Type and
        Content-Length are added when the response is sent, unless they are
        set here (a ``Content-Type`` header replaces ``content_type``)."""
        if self._headers is None:
            global _Headers
            if MICROPYTHON and _Headers is None:
                from .datastructures import Headers as _Headers
            self._headers = _Headers()
        return self._headers

    def set_cookie(self, name, value='', max_age=None, expires=None, path='/',
                   domain=None, secure=False, http_only=False, same_site='Lax',
                   partitioned=False):
        """Add a ``Set-Cookie`` header.

        ``same_site`` is ``'Lax'`` (default), ``'Strict'``, ``'None'`` (which
        requires ``secure=True``) or None to leave it out. ``expires`` is a
        POSIX timestamp or a preformatted date. Control characters (CR/LF)
        and ``;`` are rejected with ValueError, never sent.
        """
        if not name:
            raise ValueError('cookie name must not be empty')
        _check_header_text('cookie name', name, '()<>@,;:\\"/[]?={} \t')
        if not isinstance(value, str):  # (MicroPython's str() copies even a str)
            value = str(value)
        _check_header_text('cookie value', value, ';,\\"')
        # The header joined once, from small pieces: the (often long) value
        # is copied once, into the header (a board's heap is fragmented).
        parts = [name, '=', value]
        if path:
            _check_header_text('cookie path', path, ';')
            parts.append('; Path=' + path)
        if domain:
            _check_header_text('cookie domain', domain, ';')
            parts.append('; Domain=' + domain)
        if max_age is not None:
            parts.append('; Max-Age=%d' % int(max_age))
        if expires is not None:
            if not isinstance(expires, str):
                from .files import http_date
                expires = http_date(expires)
            _check_header_text('cookie expires', expires, ';')
            parts.append('; Expires=' + expires)
        if secure:
            parts.append('; Secure')
        if http_only:
            parts.append('; HttpOnly')
        if same_site is not None:
            same_site = same_site[:1].upper() + same_site[1:].lower()
            if same_site not in ('Strict', 'Lax', 'None'):
                raise ValueError('same_site must be Strict, Lax or None')
            if same_site == 'None' and not secure:
                raise ValueError('SameSite=None requires secure=True')
            parts.append('; SameSite=' + same_site)
        if partitioned:
            parts.append('; Partitioned')
        # (not headers.add: on a board its str() would copy the header again)
        self.headers._items.append(('Set-Cookie', ''.join(parts)))

    def delete_cookie(self, name, path='/', domain=None):
        """Tell the client to drop cookie *name*."""
        self.set_cookie(name, '', max_age=0, expires='Thu, 01 Jan 1970 00:00:00 GMT', path=path,
                        domain=domain)

    @classmethod
    def redirect(cls, location, status=302):
        """A redirect to *location* (ValueError on CR/LF in it)."""
        _check_header_text('redirect location', location)
        return cls('', status, {'Location': location}, content_type=TEXT)

    def _raw_headers(self, content_length):
        raw = []
        headers = self._headers
        if self.content_type is not None and (headers is None or 'content-type' not in headers):
            raw.append((b'content-type', self.content_type.encode()))
        if headers is not None:
            for name, value in self._headers._items:
                _check_header_text('header ' + name, value)
                raw.append((name.lower().encode(), value.encode()))
            if content_length is not None and 'content-length' in self._headers:
                content_length = None
        if content_length is not None:
            raw.append((b'content-length', b'%d' % content_length))
        return raw

    async def send(self, send, request):
        """Send this response through the ASGI *send* callable."""
        body = self.body
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, (bytes, bytearray)):
            bare = self.status in (204, 304)
            await send({'type': 'http.response.start', 'status': self.status,
                        'headers': self._raw_headers(None if bare else len(body))})
            self.started = True
            if bare or request.method == 'HEAD':
                body = b''
            await send({'type': 'http.response.body', 'body': body})
            return
        # a stream: plugdot._streams, loaded by the first one (on a board, code is heap)
        global _stream_module
        if _stream_module is None:
            from . import _streams as _stream_module
        await _stream_module.send_streamed(self, body, send, request)

    def __repr__(self):
        return '<Response %d>' % self.status


def to_response(value):
    """Convert a handler's return value to a :class:`Response` (see the
    ``plugdot_make_response`` hook and docs/guide.md for the accepted
    forms); TypeError, saying what to return instead, if it cannot."""
    if isinstance(value, str):
        if MICROPYTHON:
            return Response(value)
        response = _new(Response)  # (CPython) Response(value) without its checks and a frame
        response.body = value
        response.status = 200
        response.content_type = HTML
        return response
    if isinstance(value, Response):
        return value
    if isinstance(value, (dict, list)):
        if MICROPYTHON:
            return Response(json_dumps(value), 200, None, JSON)
        # (CPython) what Response(body, 200, None, JSON) sets, without its
        # checks of the body and a frame (every JSON response comes here)
        response = _new(Response)
        response.body = _compat.json_body(value)
        response.status = 200
        response.content_type = JSON
        return response
    if value is None:
        return Response(b'', 204)
    if isinstance(value, tuple):  # (body, status) & co.: plugdot._tuples, loaded on first use
        global _tuple_module
        if _tuple_module is None:
            from . import _tuples as _tuple_module
        return _tuple_module.tuple_response(value)
    if isinstance(value, (bytes, bytearray)):
        return Response(bytes(value))
    if isinstance(value, int) and not isinstance(value, bool):  # Microdot: a bare status
        return _empty(value)
    if not MICROPYTHON and hasattr(value, '__await__'):
        if hasattr(value, 'close'):
            value.close()  # no "never awaited" warning on top of this error
        raise TypeError('returned a coroutine: a call to an async function is missing '
                        '"await" (write "return await ...")')
    if hasattr(value, '__aiter__') or hasattr(value, '__next__') or hasattr(value, 'send'):
        return Response(value)  # a stream
    raise TypeError('returned %s, which plugdot cannot send; return str, bytes, a dict or '
                    'list, None, a Response, an iterator or a tuple such as (body, status)'
                    % type(value).__name__)




def _empty(status):
    if not 100 <= status <= 599:
        raise TypeError('returned %d, which is not an HTTP status (100-599)' % status)
    return Response(b'', status, content_type=None if status in (204, 304) else TEXT)


def plugdot_make_response(request, value):
    """The built-in conversion of return values (see :func:`to_response`)."""
    return to_response(value)


def redirect(location, status=302):
    """Return a redirect response to *location*."""
    return Response.redirect(location, status)


def send_file(path, root=None, content_type=None, max_age=None, headers=None):
    """Answer with the file at *path* (see :func:`plugdot.files.send_file`:
    Content-Length, Last-Modified, ETag and 304s; with *root*, a path that
    escapes it is a 404). The file code loads on first use."""
    from .files import send_file as _send_file
    return _send_file(path, root, content_type, max_age, headers)
