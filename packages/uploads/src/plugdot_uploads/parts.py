"""Streaming a multipart body part by part: ``async for part in request.parts()``
on a ``stream=True`` route, where the handler runs before the body is read."""
from plugdot import HTTPError

from .filename import sanitize_filename
from .form import boundary_of, check_declared_size, describe_part, make_parser
from .parser import DATA, END, PART, MultipartError
from .storage import Writer, check_space


class PartReader:
    """Async iterator over the :class:`Part` objects of a request's body.

    A part not read to its end is skipped when the next one is asked for.
    Malformed bodies raise a 400 HTTPError, limits a 413, from the
    ``async for`` that meets them.
    """

    def __init__(self, request, limits):
        if request._body_loaded:
            raise RuntimeError('request.parts() needs a stream=True route: this body was '
                               'already read (use request.form and request.files)')
        self.request = request
        self.limits = limits
        self.parser = None
        self.events = None
        self.stream = None
        self.finished = False
        self.count = 0
        self.current = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.parser is None:
            limits = self.limits
            boundary = boundary_of(self.request, limits)
            # Before the first receive(): an "Expect: 100-continue" client is
            # refused before it sends the body.
            check_declared_size(self.request, limits)
            self.parser = make_parser(boundary, limits)
            self.stream = self.request.stream(limits.max_body_size)
        current = self.current
        if current is not None and not current.done:
            async for _ in current:
                pass
        kind, value = await self.next_event()
        if kind is None:
            raise StopAsyncIteration
        if kind != PART:  # the parser never does this
            raise HTTPError(400, 'Malformed multipart body')
        self.count += 1
        if self.count > self.limits.max_parts:
            raise HTTPError(413, 'more than %d parts in the form' % self.limits.max_parts)
        try:
            name, filename, content_type, headers = describe_part(value)
        except MultipartError as exc:
            raise HTTPError(400, 'Malformed multipart body: %s' % exc)
        self.current = Part(self, name, filename, content_type, headers)
        return self.current

    async def next_event(self):
        """The next parser event, reading more of the body as needed;
        ``(None, None)`` at the end. Events are pulled one at a time, so a
        large piece of many small parts is never listed whole."""
        while True:
            try:
                if self.events is not None:
                    try:
                        return next(self.events)
                    except StopIteration:
                        self.events = None
                if self.finished:
                    return None, None
                try:
                    chunk = await self.stream.__anext__()
                except StopAsyncIteration:
                    self.finished = True
                    self.parser.close()
                    continue
                self.events = iter(self.parser.feed(chunk))
            except MultipartError as exc:
                self.finished = True
                self.events = None
                raise HTTPError(exc.status, 'Malformed multipart body: %s' % exc
                                if exc.status == 400 else str(exc))


class Part:
    """One part of a streamed multipart body.

    ``name``, ``filename`` (sanitised; None for a text field),
    ``raw_filename``, ``content_type``, ``headers`` (a dict), ``size`` (bytes
    read so far). ``async for chunk in part`` gives its content as it
    arrives; :meth:`read`, :meth:`text` and :meth:`save` consume it whole.
    """

    def __init__(self, reader, name, filename, content_type, headers):
        self.reader = reader
        self.name = name
        self.raw_filename = filename
        self.filename = None if filename is None else sanitize_filename(filename)
        self.content_type = content_type
        self.headers = headers
        self.size = 0
        self.done = False
        limits = reader.limits
        self.limit = limits.max_field_size if filename is None else limits.max_file_size

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.done:
            raise StopAsyncIteration
        kind, value = await self.reader.next_event()
        if kind == DATA:
            self.size += len(value)
            if self.size > self.limit:
                raise HTTPError(413, '%s %r larger than %d bytes' % (
                    'field' if self.filename is None else 'file',
                    self.name if self.filename is None else self.filename, self.limit))
            return value
        self.done = True
        if kind != END:
            raise HTTPError(400, 'Malformed multipart body')
        raise StopAsyncIteration

    async def read(self):
        """The whole content as bytes (bounded by the field or file limit)."""
        chunks = []
        async for chunk in self:
            chunks.append(chunk)
        return b''.join(chunks)

    async def text(self):
        """The whole content decoded as UTF-8 (400 if it is not)."""
        try:
            return (await self.read()).decode('utf-8')
        except UnicodeError:
            raise HTTPError(400, 'field %r is not UTF-8' % self.name)

    async def save(self, path):
        """Write the content to *path* as it arrives; return the number of
        bytes. Free space (``uploads_min_free_space``) is checked before
        (against the request's Content-Length) and while writing: past it a
        507 and the partial file is removed, as on any error."""
        min_free = self.reader.limits.min_free_space
        declared = self.reader.request.content_length or 0
        check_space(path, declared, min_free)
        writer = Writer(path, min_free)
        await writer.open()
        try:
            async for chunk in self:
                await writer.write(chunk)
            await writer.close()
        except BaseException:
            await writer.abort()
            raise
        return writer.size

    def __repr__(self):
        return '<Part %s %r>' % (self.name, self.filename)
