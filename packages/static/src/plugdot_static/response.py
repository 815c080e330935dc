"""The response of one static file: plugdot's :class:`~plugdot.files.FileResponse`
(Content-Length, strong ETag, Last-Modified, 304) plus byte ranges, a
precompressed representation, gzip inflated on the fly, and a transfer that
stops when the client leaves."""
import os

from plugdot._compat import MICROPYTHON
from plugdot.files import FileResponse


def parse_ranges(header, size, max_ranges):
    """The byte ranges of a ``Range`` header as ``[(first, last), ...]``;
    None when the header is to be ignored (another unit, bad syntax, more
    than *max_ranges* ranges: the whole file is sent), ``[]`` when no range
    is satisfiable (416)."""
    unit, eq, specs = header.partition('=')
    if not eq or unit.strip().lower() != 'bytes':
        return None
    ranges = []
    parts = specs.split(',')
    if len(parts) > max_ranges:
        return None
    for spec in parts:
        first, dash, last = spec.strip().partition('-')
        if not dash or not (first.isdigit() or first == '') or not (last.isdigit() or last == ''):
            return None
        if first == '':
            if last == '':
                return None
            n = int(last)
            if n > 0 and size > 0:
                ranges.append((max(0, size - n), size - 1))
            continue
        start = int(first)
        end = size - 1 if last == '' else min(int(last), size - 1)
        if last != '' and int(last) < start:
            return None
        if start < size:
            ranges.append((start, end))
    return ranges


class StaticResponse(FileResponse):
    """One static file. *encoding* is the ``Content-Encoding`` of the file
    sent (a ``.br`` or ``.gz`` sibling), *inflate* says that the file is gzip
    and the client wants it plain; *max_ranges* caps a ``Range`` header."""

    def __init__(self, path, size, mtime, content_type, headers, encoding=None,
                 inflate=False, max_ranges=1, chunk_size=None):
        FileResponse.__init__(self, path, size, mtime, content_type, None, headers)
        self.inflate = inflate
        self.max_ranges = 0 if inflate else max_ranges
        if chunk_size:
            self.chunk_size = chunk_size
        h = self.headers
        if encoding:
            h['Content-Encoding'] = encoding
        if inflate:  # another representation of the same file: another tag
            h['ETag'] = h['ETag'][:-1] + '-i"'
        else:
            h['Accept-Ranges'] = 'bytes'

    async def send(self, send, request):
        """Send the file, a 304, a 206 (one or several ranges) or a 416."""
        if request.method not in ('GET', 'HEAD'):  # an error page, not this file
            await FileResponse.send(self, send, request)
            return
        if self._not_modified(request):
            await FileResponse.send(self, send, request)
            return
        ranges = None
        header = request.headers.get('range') if self.max_ranges else None
        if header is not None and self._if_range(request):
            ranges = parse_ranges(header, self.size, self.max_ranges)
        if ranges == []:
            self.status = 416
            self.content_type = 'text/plain; charset=utf-8'
            self.headers['Content-Range'] = 'bytes */%d' % self.size
            await self._start(send, 0)
            await send({'type': 'http.response.body', 'body': b''})
            return
        watcher = _watch(request)
        try:
            await self._send_body(send, request, ranges, watcher)
        except OSError:
            if not getattr(self, 'started', False):
                raise
            self.client_left = True  # the client left (the mpy-server's write says so)
        finally:
            if watcher is not None:
                watcher.cancel()

    async def _send_body(self, send, request, ranges, watcher):
        if ranges and len(ranges) == 1:
            first, last = ranges[0]
            self.status = 206
            self.headers['Content-Range'] = 'bytes %d-%d/%d' % (first, last, self.size)
            await self._start(send, last - first + 1)
            await self._body(send, request, [(first, last, b'')], b'', watcher)
        elif ranges:
            await self._multipart(send, request, ranges, watcher)
        elif self.inflate:
            await self._inflated(send, request, watcher)
        else:
            await self._start(send, self.size)
            await self._body(send, request, [(0, self.size - 1, b'')], b'', watcher)

    def _if_range(self, request):
        value = request.headers.get('if-range')
        if value is None:
            return True
        value = value.strip()
        return value == self.headers['ETag'] or value == self.headers['Last-Modified']

    async def _start(self, send, length):
        await send({'type': 'http.response.start', 'status': self.status,
                    'headers': self._raw_headers(length)})
        self.started = True

    async def _multipart(self, send, request, ranges, watcher):
        boundary = '%x%x' % (int.from_bytes(os.urandom(8), 'big'), self.size)
        kind = self.content_type
        self.status = 206
        self.content_type = 'multipart/byteranges; boundary=' + boundary
        parts = []
        length = 0
        for first, last in ranges:
            head = ('--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n'
                    % (boundary, kind, first, last, self.size)).encode()
            if parts:
                head = b'\r\n' + head
            parts.append((first, last, head))
            length += len(head) + last - first + 1
        tail = ('\r\n--%s--\r\n' % boundary).encode()
        await self._start(send, length + len(tail))
        await self._body(send, request, parts, tail, watcher)

    async def _body(self, send, request, parts, tail, watcher):
        if request.method != 'HEAD':
            with open(self.path, 'rb') as f:
                for first, last, head in parts:
                    if head:
                        await send({'type': 'http.response.body', 'body': head, 'more_body': True})
                    f.seek(first)
                    left = last - first + 1
                    while left > 0:
                        chunk = f.read(min(self.chunk_size, left))
                        if not chunk:
                            break
                        left -= len(chunk)
                        await send({'type': 'http.response.body', 'body': chunk,
                                    'more_body': True})
                        if watcher is not None and await _left(watcher):
                            return  # the client left: stop reading the file
            if tail:
                await send({'type': 'http.response.body', 'body': tail, 'more_body': True})
        await send({'type': 'http.response.body', 'body': b''})

    async def _inflated(self, send, request, watcher):
        # A gzip-only asset (a bundle) for a client that does not accept
        # gzip: its plain size is the gzip trailer's ISIZE.
        with open(self.path, 'rb') as f:
            f.seek(self.size - 4)
            plain = int.from_bytes(f.read(4), 'little')
        await self._start(send, plain)
        if request.method != 'HEAD':
            with open(self.path, 'rb') as f:
                for chunk in _inflate(f, self.chunk_size):
                    await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
                    if watcher is not None and await _left(watcher):
                        return
        await send({'type': 'http.response.body', 'body': b''})


def _inflate(f, size):
    if MICROPYTHON:
        import deflate
        try:  # a bundle's assets were gzipped with a small window (4 KB of heap here)
            from plugdot_static_manifest import WBITS
        except ImportError:
            WBITS = 0  # the default: a 32 KB window
        stream = deflate.DeflateIO(f, deflate.GZIP, WBITS)
        while True:
            chunk = stream.read(size)
            if not chunk:
                return
            yield chunk
    import zlib
    d = zlib.decompressobj(31)
    while True:
        data = f.read(size)
        if not data:
            break
        chunk = d.decompress(data)
        if chunk:
            yield chunk
    rest = d.flush()
    if rest:
        yield rest


def can_inflate():
    """True if gzip can be inflated here (``deflate`` on a board, zlib on CPython)."""
    if not MICROPYTHON:
        return True
    try:
        import deflate  # noqa: F401
    except ImportError:
        return False
    return True


async def _left(watcher):
    # A send to a closed connection may not yield: let the loop notice it.
    import asyncio
    await asyncio.sleep(0)
    return watcher.done()


def _watch(request):
    # Hypercorn and uvicorn drop what is sent after the client left without
    # an error: a task waits for http.disconnect and the loop checks it.
    # (The mpy-server raises on the write, so boards need no task.)
    if MICROPYTHON or request.method == 'HEAD':
        return None
    import asyncio

    async def wait():
        while True:
            message = await request.receive()
            if message['type'] == 'http.disconnect':
                return
    return asyncio.ensure_future(wait())
