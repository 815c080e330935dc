"""The :class:`Response`, return-value conversion, cookies, redirects,
streaming and :func:`send_file` (the built-in ``plugdot_make_response``)."""
import os

from ._compat import MICROPYTHON, json_dumps
from .datastructures import Headers
from .errors import HTTPError

HTML = 'text/html; charset=utf-8'
TEXT = 'text/plain; charset=utf-8'
JSON = 'application/json'
BINARY = 'application/octet-stream'

_NO_BODY_STATUSES = (204, 304)
_TOKEN_FORBIDDEN = '()<>@,;:\\"/[]?={} \t'
_SAME_SITE = ('Strict', 'Lax', 'None')


if MICROPYTHON:
    def _control_char(text):
        for ch in text:
            if ord(ch) < 32 or ord(ch) == 127:
                return ch
        return None
else:
    import re
    _CONTROL = re.compile('[\x00-\x1f\x7f]').search

    def _control_char(text):
        found = _CONTROL(text)
        return found.group() if found else None


def _check_header_text(what, text, forbidden=''):
    bad = _control_char(text)
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

    def __init__(self, body=b'', status=200, headers=None, content_type=None):
        self.status = status
        self.body = body
        self._headers = Headers(headers) if headers else None
        if content_type is None and status not in _NO_BODY_STATUSES:
            content_type = BINARY if isinstance(body, bytes) else HTML
        self.content_type = content_type

    @property
    def headers(self):
        """The response headers (:class:`plugdot.Headers`); Content-Type and
        Content-Length are added when the response is sent."""
        if self._headers is None:
            self._headers = Headers()
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
        _check_header_text('cookie name', name, _TOKEN_FORBIDDEN)
        value = str(value)
        _check_header_text('cookie value', value, ';,\\"')
        parts = ['%s=%s' % (name, value)]
        if path:
            _check_header_text('cookie path', path, ';')
            parts.append('Path=' + path)
        if domain:
            _check_header_text('cookie domain', domain, ';')
            parts.append('Domain=' + domain)
        if max_age is not None:
            parts.append('Max-Age=%d' % int(max_age))
        if expires is not None:
            if not isinstance(expires, str):
                expires = http_date(expires)
            _check_header_text('cookie expires', expires, ';')
            parts.append('Expires=' + expires)
        if secure:
            parts.append('Secure')
        if http_only:
            parts.append('HttpOnly')
        if same_site is not None:
            same_site = same_site[:1].upper() + same_site[1:].lower()
            if same_site not in _SAME_SITE:
                raise ValueError('same_site must be Strict, Lax or None')
            if same_site == 'None' and not secure:
                raise ValueError('SameSite=None requires secure=True')
            parts.append('SameSite=' + same_site)
        if partitioned:
            parts.append('Partitioned')
        self.headers.add('Set-Cookie', '; '.join(parts))

    def delete_cookie(self, name, path='/', domain=None):
        """Tell the client to drop cookie *name*."""
        self.set_cookie(name, '', max_age=0, expires=0, path=path, domain=domain)

    @classmethod
    def redirect(cls, location, status=302):
        """A redirect to *location* (ValueError on CR/LF in it)."""
        _check_header_text('redirect location', location)
        return cls('', status, {'Location': location}, content_type=TEXT)

    def _raw_headers(self, content_length):
        raw = []
        if self.content_type is not None:
            raw.append((b'content-type', self.content_type.encode()))
        if self._headers is not None:
            for name, value in self._headers._items:
                _check_header_text('header ' + name, value)
                raw.append((name.lower().encode(), value.encode()))
            if content_length is not None and 'content-length' in self._headers:
                content_length = None
        if content_length is not None:
            raw.append((b'content-length', str(content_length).encode()))
        return raw

    async def send(self, send, request):
        """Send this response through the ASGI *send* callable."""
        body = self.body
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, (bytes, bytearray)):
            bare = self.status in _NO_BODY_STATUSES
            await send({'type': 'http.response.start', 'status': self.status,
                        'headers': self._raw_headers(None if bare else len(body))})
            self.started = True
            if bare or request.method == 'HEAD':
                body = b''
            await send({'type': 'http.response.body', 'body': body})
            return
        await send({'type': 'http.response.start', 'status': self.status,
                    'headers': self._raw_headers(None)})
        self.started = True
        if request.method != 'HEAD':
            await _send_stream(body, send)
        else:
            await _close(body)
        await send({'type': 'http.response.body', 'body': b''})

    def __repr__(self):
        return '<Response %d>' % self.status


async def _send_stream(body, send):
    try:
        if hasattr(body, '__aiter__'):
            iterator = body.__aiter__()
            while True:
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                await _send_chunk(send, chunk)
        else:
            for chunk in body:
                await _send_chunk(send, chunk)
    finally:
        await _close(body)


async def _send_chunk(send, chunk):
    if isinstance(chunk, str):
        chunk = chunk.encode()
    if chunk:
        await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})


async def _close(body):
    close = getattr(body, 'aclose', None)
    if close is not None:
        await close()
        return
    close = getattr(body, 'close', None)
    if close is not None:
        close()


def _is_stream(value):
    return hasattr(value, '__aiter__') or hasattr(value, '__next__') or hasattr(value, 'send')


def to_response(value):
    """Convert a handler's return value to a :class:`Response` (see the
    ``plugdot_make_response`` hook for the accepted forms); TypeError if
    it cannot."""
    if isinstance(value, str):
        return Response(value)
    if isinstance(value, Response):
        return value
    if isinstance(value, (dict, list)):
        return Response(json_dumps(value), content_type=JSON)
    if value is None:
        return Response(b'', 204)
    if isinstance(value, tuple):
        return _tuple_to_response(value)
    if isinstance(value, (bytes, bytearray)):
        return Response(bytes(value))
    if _is_stream(value):
        return Response(value)
    raise TypeError('a handler returned %s, which plugdot cannot send' % type(value).__name__)


def _tuple_to_response(value):
    if not 1 < len(value) < 4:
        raise TypeError('a handler returned a tuple of %d items; expected 2 or 3' % len(value))
    if isinstance(value[0], int) and not isinstance(value[0], bool):
        status, body = value[0], value[1]
    else:
        body, status = value[0], value[1]
    headers = value[2] if len(value) == 3 else None
    if not isinstance(status, int):
        if len(value) == 2 and isinstance(status, (dict, list, Headers)):
            status, headers = 200, status  # (body, headers)
        else:
            raise TypeError('a handler returned a tuple without an int status')
    response = to_response(body)
    response.status = status
    if status in _NO_BODY_STATUSES:
        response.content_type = None
    if headers:
        response.headers.update(headers)
    return response


def plugdot_make_response(request, value):
    """The built-in conversion of return values (see :func:`to_response`)."""
    return to_response(value)


def redirect(location, status=302):
    """Return a redirect response to *location*."""
    return Response.redirect(location, status)


# -- files -------------------------------------------------------------------
CONTENT_TYPES = {
    'html': HTML, 'htm': HTML, 'txt': TEXT, 'css': 'text/css; charset=utf-8',
    'js': 'text/javascript; charset=utf-8', 'mjs': 'text/javascript; charset=utf-8',
    'json': JSON, 'xml': 'application/xml', 'svg': 'image/svg+xml',
    'png': 'image/png', 'jpg': 'image/jpeg', 'jpeg': 'image/jpeg', 'gif': 'image/gif',
    'webp': 'image/webp', 'ico': 'image/x-icon', 'wasm': 'application/wasm',
    'pdf': 'application/pdf', 'csv': 'text/csv; charset=utf-8',
    'md': 'text/markdown; charset=utf-8',
    'woff': 'font/woff', 'woff2': 'font/woff2', 'mp3': 'audio/mpeg', 'mp4': 'video/mp4',
}
_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')


def http_date(timestamp):
    """Format a POSIX timestamp as an HTTP date (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    import time
    t = time.gmtime(int(timestamp))
    return '%s, %02d %s %04d %02d:%02d:%02d GMT' % (
        _DAYS[t[6]], t[2], _MONTHS[t[1] - 1], t[0], t[3], t[4], t[5])


def _safe_join(root, path):
    """Join *path* below *root*, or None if it would escape it."""
    if '\x00' in path or '\\' in path:
        return None
    parts = []
    for part in path.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            return None
        parts.append(part)
    if not parts:
        return None
    full = root.rstrip('/') + '/' + '/'.join(parts)
    if not MICROPYTHON:  # a symlink inside root must not lead outside it
        real_root = os.path.realpath(root)
        if not os.path.realpath(full).startswith(real_root.rstrip(os.sep) + os.sep):
            return None
    return full


class FileResponse(Response):
    """A file sent in chunks, with Content-Length, Last-Modified and ETag;
    a matching ``If-None-Match`` / ``If-Modified-Since`` gets a 304."""

    chunk_size = 16 * 1024

    def __init__(self, path, size, mtime, content_type, max_age=None, headers=None):
        Response.__init__(self, b'', 200, headers, content_type)
        self.path = path
        self.size = size
        etag = '"%x-%x"' % (int(mtime), size)
        self.headers['ETag'] = etag
        self.headers['Last-Modified'] = http_date(mtime)
        if max_age is not None:
            self.headers['Cache-Control'] = 'max-age=%d' % max_age

    def _not_modified(self, request):
        inm = request.headers.get('if-none-match')
        if inm is not None:
            etag = self.headers['ETag']
            return any(tag.strip() in (etag, 'W/' + etag, '*') for tag in inm.split(','))
        ims = request.headers.get('if-modified-since')
        return ims is not None and ims.strip() == self.headers['Last-Modified']

    async def send(self, send, request):
        """Send the file, or a 304 when the client's copy is current."""
        if self.status == 200 and request.method in ('GET', 'HEAD') and self._not_modified(request):
            self.status = 304
            self.content_type = None
            await Response.send(self, send, request)
            return
        await send({'type': 'http.response.start', 'status': self.status,
                    'headers': self._raw_headers(self.size)})
        self.started = True
        if request.method != 'HEAD':
            with open(self.path, 'rb') as f:
                while True:
                    chunk = f.read(self.chunk_size)
                    if not chunk:
                        break
                    await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
        await send({'type': 'http.response.body', 'body': b''})


def send_file(path, root=None, content_type=None, max_age=None, headers=None):
    """Answer with the file at *path*.

    With *root*, *path* is taken relative to it (typically from a URL) and a
    path that escapes the root — ``..``, an absolute path, a symlink out —
    is a 404, as is a missing file. The content type is guessed from the
    extension unless given. ``max_age`` sets ``Cache-Control``.
    """
    full = _safe_join(root, path) if root is not None else path
    if full is None:
        raise HTTPError(404)
    try:
        st = os.stat(full)
    except OSError:
        raise HTTPError(404)
    if st[0] & 0o170000 != 0o100000:  # not a regular file
        raise HTTPError(404)
    if content_type is None:
        ext = full.rpartition('.')[2].lower() if '.' in full.rpartition('/')[2] else ''
        content_type = CONTENT_TYPES.get(ext, BINARY)
    return FileResponse(full, st[6], st[8], content_type, max_age, headers)
