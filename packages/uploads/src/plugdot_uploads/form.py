"""Reading a whole ``multipart/form-data`` body before the handler:
``request.form`` and ``request.files``."""
from plugdot import HTTPError, MultiDict
from plugdot._compat import MICROPYTHON

from .parser import DATA, END, PART, MultipartError, check_boundary, parse_options
from .upload import Upload


def boundary_of(request, limits):
    """The boundary of *request*'s Content-Type; 400 when missing or invalid."""
    kind, params = parse_options(request.headers.get('content-type', ''))
    try:
        check_boundary(params.get('boundary'), limits.max_boundary)
    except MultipartError as exc:
        raise HTTPError(400, str(exc))
    return params['boundary']


def check_declared_size(request, limits):
    """413 before reading anything when Content-Length is over the limit."""
    declared = request.content_length
    if declared is not None and declared > limits.max_body_size:
        raise HTTPError(413, 'Request body too large (uploads_max_body_size: %d bytes)'
                        % limits.max_body_size)


def make_parser(boundary, limits):
    """The parser for this interpreter (or the one ``uploads_parser`` names)."""
    choice = limits.parser
    if choice == 'python-multipart' or (choice == 'auto' and not MICROPYTHON):
        from ._pm import PMParser
        return PMParser(boundary, limits.max_part_header_size, limits.max_part_headers)
    from .parser import Parser
    return Parser(boundary, limits.max_part_header_size, limits.max_part_headers)


def describe_part(headers):
    """``(name, raw filename or None, content type, headers dict)`` of a part;
    400 without a ``form-data`` Content-Disposition naming the field."""
    found = dict(headers)
    kind, params = parse_options(found.get('content-disposition', ''))
    name = params.get('name')
    if kind != 'form-data' or name is None:
        raise MultipartError('part without a Content-Disposition: form-data name')
    content_type = found.get('content-type', '')
    return name, params.get('filename'), content_type, found


class FormBuilder:
    """Turns parser events into ``form`` and ``files``, enforcing the
    per-part limits and spooling files past ``spool_size``."""

    def __init__(self, limits):
        self.limits = limits
        self.form = MultiDict()
        self.files = MultiDict()
        self.uploads = []
        self.parts = 0
        self.memory = 0       # bytes of files held in memory
        self.current = None   # an Upload, or [name, bytearray] for a text field

    async def event(self, kind, value):
        limits = self.limits
        current = self.current
        if kind == DATA:
            if type(current) is list:
                buf = current[1]
                if len(buf) + len(value) > limits.max_field_size:
                    raise MultipartError('form field %r larger than %d bytes'
                                         % (current[0], limits.max_field_size), 413)
                buf.extend(value)
                return
            if current.size + len(value) > limits.max_file_size:
                raise MultipartError('file %r larger than %d bytes'
                                     % (current.filename, limits.max_file_size), 413)
            if current._writer is None and limits.spool_size \
                    and self.memory + len(value) > limits.spool_size:
                self.memory -= current.size
                await current._spool(limits.temp_dir)
            elif current._writer is None:
                self.memory += len(value)
            await current._write(value)
        elif kind == PART:
            self.parts += 1
            if self.parts > limits.max_parts:
                raise MultipartError('more than %d parts in the form' % limits.max_parts, 413)
            name, filename, content_type, headers = describe_part(value)
            if filename is None:
                self.current = [name, bytearray()]
            else:
                upload = Upload(name, filename, content_type, headers, limits)
                self.uploads.append(upload)
                self.current = upload
        elif kind == END:
            if type(current) is list:
                try:
                    text = bytes(current[1]).decode('utf-8')
                except UnicodeError:
                    raise MultipartError('form field %r is not UTF-8' % current[0])
                self.form.add(current[0], text)
            else:
                await current._finish()
                self.files.add(current.name, current)
            self.current = None

    def discard(self):
        """Drop every upload (their temporary files included)."""
        for upload in self.uploads:
            upload.close()
        self.uploads = []


async def read_form(request, limits):
    """Read and parse the whole body of *request*; return the dict
    ``plugdot_parse_body`` answers (``form`` and ``files``)."""
    boundary = boundary_of(request, limits)
    check_declared_size(request, limits)
    try:
        parser = make_parser(boundary, limits)
    except MultipartError as exc:
        raise HTTPError(exc.status, str(exc))
    builder = FormBuilder(limits)
    try:
        async for chunk in request.stream(limits.max_body_size):
            for kind, value in parser.feed(chunk):
                await builder.event(kind, value)
        parser.close()
    except MultipartError as exc:
        builder.discard()
        raise HTTPError(exc.status, 'Malformed multipart body: %s' % exc
                        if exc.status == 400 else str(exc))
    except BaseException:
        builder.discard()
        raise
    if builder.uploads:
        uploads = builder.uploads
        request.after_this_request(lambda request, response: _close_all(uploads))
    return {'form': builder.form, 'files': builder.files}


def _close_all(uploads):
    for upload in uploads:
        upload.close()
