"""Files: :func:`send_file` and :class:`FileResponse` (loaded on first use,
so that apps that serve no files do not carry this code on a board)."""
import os

from ._compat import MICROPYTHON
from .errors import HTTPError
from .response import BINARY, HTML, JSON, TEXT, Response

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

    #: Bytes read and sent at a time: small on a board, where one large
    #: buffer may not fit in a fragmented heap.
    chunk_size = 1024 if MICROPYTHON else 16 * 1024

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
            left = self.size
            with open(self.path, 'rb') as f:
                while left > 0:
                    chunk = f.read(min(self.chunk_size, left))  # no buffer larger than the file
                    if not chunk:
                        break
                    left -= len(chunk)
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
