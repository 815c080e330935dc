"""Writing files without blocking the event loop, and free-space checks.

On CPython every write, open, move and removal runs in a worker thread, so
a large upload never stalls other requests; on MicroPython (no threads to
spare) they run inline, in the small pieces the server reads.
"""
import os

from plugdot import HTTPError
from plugdot._compat import MICROPYTHON, run_sync

#: Bytes gathered before one write to disk on CPython (fewer thread hops);
#: on MicroPython, bytes written between two free-space checks.
WRITE_SIZE = 8 * 1024 if MICROPYTHON else 256 * 1024


def remove(path):
    """Remove *path*; a file already gone is fine."""
    try:
        os.remove(path)
    except OSError:
        pass


def free_space(path):
    """Free bytes on the file system holding *path*, or None if unknown."""
    folder = path.rpartition('/')[0] or '.'
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    return st[0] * st[4]  # f_bsize * f_bavail


def check_space(path, needed, min_free):
    """507 unless *needed* more bytes leave *min_free* bytes free (0: no check)."""
    if min_free <= 0:
        return
    free = free_space(path)
    if free is not None and free - needed < min_free:
        raise HTTPError(507, 'Not enough free space to store the upload')


class Writer:
    """A file being written, off the event loop on CPython, checking free
    space every :data:`WRITE_SIZE` bytes when *min_free* is set. On any
    failure, :meth:`abort` removes the partial file."""

    def __init__(self, path, min_free=0):
        self.path = path
        self.min_free = min_free
        self.file = None
        self.pending = []
        self.pending_size = 0
        self.size = 0

    async def open(self, needed=0):
        """Open the file (checking that *needed* bytes fit first)."""
        check_space(self.path, needed, self.min_free)
        self.file = await run_sync(open, self.path, 'wb')
        return self

    async def write(self, data):
        """Append *data* (bytes)."""
        self.size += len(data)
        self.pending_size += len(data)
        if MICROPYTHON:
            # Each piece as it comes: joining pieces needs a contiguous block
            # a fragmented board heap may not have (the file system buffers).
            if self.pending_size >= WRITE_SIZE:
                check_space(self.path, self.pending_size, self.min_free)
                self.pending_size = 0
            self.file.write(data)
            return
        self.pending.append(data)
        if self.pending_size >= WRITE_SIZE:
            await self.flush()

    async def flush(self):
        """Write what is gathered (CPython: in a worker thread)."""
        if not self.pending:
            return
        data = self.pending[0] if len(self.pending) == 1 else b''.join(self.pending)
        self.pending = []
        self.pending_size = 0
        check_space(self.path, len(data), self.min_free)
        await run_sync(self.file.write, data)

    async def close(self):
        """Flush and close."""
        try:
            await self.flush()
        finally:
            f, self.file = self.file, None
            if f is not None:
                await run_sync(f.close)

    async def abort(self):
        """Close and remove the partial file."""
        f, self.file = self.file, None
        self.pending = []
        if f is not None:
            try:
                await run_sync(f.close)
            except OSError:
                pass
        await run_sync(remove, self.path)
