"""An uploaded file of a multipart form (``request.files[name]``)."""
from plugdot._compat import run_sync

from .filename import sanitize_filename
from .storage import Writer, check_space, remove


class Upload:
    """One file field of a form.

    ``name`` (the field), ``filename`` (sanitised: a safe base name, ``''``
    when the file input was left empty), ``raw_filename`` (as the client
    sent it), ``content_type``, ``headers`` (the part's, a dict of lower-case
    names), ``size`` in bytes. Small files are kept in memory; past the
    app's ``uploads_spool_size`` a file is written to a temporary file
    (``spooled`` is then true), which is removed when the request ends
    unless :meth:`save` moved it.

    A class-style argument annotated ``Upload`` must be a file: anything
    else (a text field, a query or path value) is a 400.
    """

    plugdot_file = True  # what the core's class-style binding checks for

    def __init__(self, name, raw_filename, content_type, headers, limits=None):
        self.name = name
        self.raw_filename = raw_filename
        self.filename = sanitize_filename(raw_filename)
        self.content_type = content_type
        self.headers = headers
        self.size = 0
        self._chunks = []
        self._writer = None   # the temporary file, once spooled
        self._path = None     # where the content is on disk (temporary, or saved)
        self._cleanup = None
        self._min_free = limits.min_free_space if limits is not None else 0

    @property
    def spooled(self):
        """True when the content is in a temporary file, not in memory."""
        return self._writer is not None or self._cleanup is not None

    # -- filled by the form reader ------------------------------------------
    async def _spool(self, temp_dir):
        import tempfile
        import weakref
        fd, path = await run_sync(tempfile.mkstemp, '', 'plugdot-upload-', temp_dir)
        import os
        os.close(fd)
        # Removed when the request ends; the finalizer is the last resort
        # (a task cancelled between parsing and the end of the request).
        self._cleanup = weakref.finalize(self, remove, path)
        self._path = path
        writer = Writer(path)
        self._writer = await writer.open()
        chunks, self._chunks = self._chunks, []
        for chunk in chunks:
            await writer.write(chunk)

    async def _write(self, data):
        self.size += len(data)
        if self._writer is not None:
            await self._writer.write(data)
        else:
            self._chunks.append(data)

    async def _finish(self):
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()
        elif len(self._chunks) > 1:
            self._chunks = [b''.join(self._chunks)]

    # -- for handlers --------------------------------------------------------
    def read(self):
        """The whole content as bytes (from disk when spooled: prefer
        :meth:`save` for big files)."""
        if self._path is not None:
            with open(self._path, 'rb') as f:
                return f.read()
        return b''.join(self._chunks)

    async def save(self, path):
        """Store the content at *path* (a temporary file is moved there,
        off the event loop); return the number of bytes. A file system
        short of space (``uploads_min_free_space``) is a 507 and leaves no
        partial file."""
        if self._path is not None:
            await run_sync(self._move, path)
            return self.size
        check_space(path, self.size, self._min_free)
        writer = Writer(path, self._min_free)
        await writer.open()
        try:
            for chunk in self._chunks:
                await writer.write(chunk)
            await writer.close()
        except BaseException:
            await writer.abort()
            raise
        return self.size

    def _move(self, path):
        import os
        import shutil
        saved = not self._cleanup.alive  # saved once already: copy, keep that file
        check_space(path, self.size if saved or os.stat(self._path).st_dev != _device(path)
                    else 0, self._min_free)
        if not saved:
            try:
                os.replace(self._path, path)
            except OSError:  # another file system: copied below
                pass
            else:
                self._cleanup.detach()
                self._path = path
                return
        try:
            shutil.copyfile(self._path, path)
        except BaseException:
            remove(path)
            raise
        if not saved:
            self._cleanup()
            self._cleanup.detach()
            self._path = path

    def close(self):
        """Drop the content; remove the temporary file (if still there)."""
        self._chunks = []
        writer, self._writer = self._writer, None
        if writer is not None and writer.file is not None:  # the body failed mid-file
            writer.file.close()
        if self._cleanup is not None:
            self._cleanup()
            self._path = None

    def __repr__(self):
        return '<Upload %s %r %d bytes>' % (self.name, self.filename, self.size)


def _device(path):
    import os
    folder = os.path.dirname(os.path.abspath(path))
    try:
        return os.stat(folder).st_dev
    except OSError:
        return None

