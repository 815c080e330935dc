"""Reading and decoding request bodies, for :class:`plugdot.request.Request`.

Kept apart from the request because many requests to a board have no body:
this code costs heap on a MicroPython board only once a request has one
(the request imports it then). The public API stays on
:class:`~plugdot.request.Request`: ``stream()``, ``load_body()``, ``body``,
``json``, ``form``, ``files``.
"""
from .datastructures import MultiDict, parse_query
from .errors import HTTPError


class BodyStream:
    """Async iterator over the ASGI ``http.request`` messages of a request;
    a 413 HTTPError past *max_size* bytes."""

    def __init__(self, request, max_size):
        self.request = request
        self.max_size = max_size
        self.size = 0
        self.done = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        request = self.request
        if request._body_loaded:
            if self.done or not request._body:
                raise StopAsyncIteration
            self.done = True
            return request._body
        while not self.done:
            message = await request.receive()
            if message['type'] == 'http.disconnect':
                raise HTTPError(400, 'Client disconnected')
            body = message.get('body', b'')
            self.done = not message.get('more_body', False)
            self.size += len(body)
            if self.size > self.max_size:
                raise HTTPError(413, 'Request body too large (limit %d bytes)' % self.max_size)
            if body:
                return body
        raise StopAsyncIteration


async def load_body(request, max_size):
    """Read the whole body of *request* into memory (once) and return it."""
    if not request._body_loaded:
        chunks = []
        async for chunk in request.stream(max_size):
            chunks.append(chunk)
        request._body = b''.join(chunks)
        request._body_loaded = True
    return request._body


def loaded_body(request):
    """The body read so far; RuntimeError if a streaming route has not read it."""
    if not request._body_loaded:
        raise RuntimeError('the request body has not been read: this route streams '
                           'it, so use "await request.load_body()" or request.stream()')
    return request._body


def parse_json(body):
    """*body* decoded as JSON; 400 if it is not."""
    import json
    try:
        return json.loads(body)
    except (ValueError, UnicodeError):
        raise HTTPError(400, 'Invalid JSON body')


def parse_form(request):
    """The urlencoded form fields of *request* (an empty MultiDict for other
    types, which plugins parse); 400 if malformed."""
    if request.content_type != 'application/x-www-form-urlencoded':
        return MultiDict()
    try:
        return parse_query(request.body.decode('latin-1'))
    except ValueError as exc:
        raise HTTPError(400, 'Malformed form body: %s' % exc)


def set_parsed(request, parsed):
    """Store what a ``plugdot_parse_body`` implementation returned."""
    request._body_loaded = True
    if request._body is None:
        request._body = b''
    if 'form' in parsed:
        request._form = parsed['form']
    if 'files' in parsed:
        request._files = parsed['files']
    if 'json' in parsed:
        request._json = parsed['json']


async def read_whole_body(request):
    """The built-in ``plugdot_parse_body``: read the body into memory within
    the app's ``max_body_size`` (413 past it); form and JSON decode later,
    on first access."""
    declared = request.content_length
    limit = request.app.config['max_body_size']
    if declared is not None and declared > limit:
        raise HTTPError(413, 'Request body too large (limit %d bytes)' % limit)
    await load_body(request, limit)
    return {}
