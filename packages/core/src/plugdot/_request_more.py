"""What a :class:`~plugdot.request.Request` does on first use only: the
attributes it computes on first access (``request.headers``, ``.query``,
``.json``, ``.form``...) and its methods that read a body (``load_body``,
``stream``, ``async for``, ``body_consumed``).

A module of its own so that a board loads this code only once a request
needs it (a hello app never does; on a board code is heap): there
``Request.__getattr__`` loads it and :func:`install` makes the methods the
class's. On CPython ``plugdot.request`` installs them when it loads, and its
descriptors call :func:`request_getattr`.
"""
from ._compat import latin1, utf8
from .datastructures import Headers, MultiDict, parse_cookies, parse_query
from .errors import HTTPError

_jsonlimit = None  # plugdot.jsonlimit, loaded with the first JSON body

#: The class of ``request.g``, made by its first use (a class is heap on a board).
_Namespace = None


def install(cls):
    """Make the body-reading functions below methods of *cls* (Request)."""
    cls.stream = stream
    cls.__aiter__ = _aiter
    cls.__anext__ = _anext
    cls._take = _take
    cls.load_body = load_body
    cls.body_consumed = body_consumed


def request_getattr(self, name):
    """``Request.__getattr__``: *name* computed on first access (the
    :class:`~plugdot.request.Request` docstring), else from the
    ``plugdot_request_attribute`` hooks; AttributeError for neither."""
    # Only reached when normal lookup fails: the attributes computed on
    # first access (the class docstring), then those plugins provide
    # (plugdot_request_attribute). What is kept is set on the instance,
    # so that the next read does not come here.
    if name[:1] == '_':
        raise AttributeError(name)
    if name == 'content_type':  # (first: read on every request with a body)
        kind = self._type
        kind = self.headers.get('content-type', '') if kind is None else latin1(kind)
        return kind.partition(';')[0].strip().lower()
    elif name == 'headers':
        value = Headers()  # (Headers.from_asgi without its frame)
        value._items = [(latin1(k), latin1(v)) for k, v in self.scope['headers']]
    elif name == 'query':
        try:
            value = parse_query(self.query_string)
        except ValueError as exc:
            # MicroPython's UnicodeError has no text: say what it means
            raise HTTPError(400, 'Malformed query string: %s' % (str(exc) or 'not UTF-8'))
    elif name == 'args':
        value = self.query
    elif name == 'query_string':
        try:
            return utf8(self.scope.get('query_string', b''))
        except ValueError:
            raise HTTPError(400, 'Malformed query string: not UTF-8')
    elif name == 'json':
        body = self._body if self._body_loaded else self.body
        if not body:
            return None
        global _jsonlimit
        if _jsonlimit is None:  # a function-level import costs ~1 µs per call
            from . import jsonlimit as _jsonlimit
        limit = self.app.config['max_json_depth']
        try:
            value = _jsonlimit.loads(body, limit)
        except _jsonlimit.TooDeep:
            raise HTTPError(400, 'JSON body nested deeper than %d levels' % limit)
        except (ValueError, UnicodeError):
            raise HTTPError(400, 'Invalid JSON body')
        if value is None:  # JSON null: parsed again if asked again, as before
            return None
    elif name == 'form':
        kind = self.content_type
        if kind == 'application/x-www-form-urlencoded':
            try:
                value = parse_query(utf8(self._body if self._body_loaded else self.body))
            except ValueError as exc:
                raise HTTPError(400, 'Malformed form body: %s' % (str(exc) or 'not UTF-8'))
        elif kind == 'multipart/form-data' and self.has_body:
            raise RuntimeError('a multipart/form-data body needs a plugin to parse it: '
                               'install plugdot-uploads (packages/uploads)')
        else:
            value = MultiDict()
    elif name == 'body':
        if not self._body_loaded:
            if not self.has_body:
                return b''
            if self.route is not None and self.route.stream:
                why = 'route %s streams it (stream=True)' % self.route.name
            else:
                why = 'no route matched, so it was not read'
            raise RuntimeError('the request body has not been read: %s; use "await '
                               'request.load_body()" first, or request.stream()' % why)
        return self._body
    elif name == 'content_length':
        # raw bytes once scan_headers noted them (isdigit: ASCII digits only)
        value = self.headers.get('content-length') if self._type is None else self._length
        if value is None:
            return None
        if not value.isdigit():
            raise HTTPError(400, 'Invalid Content-Length')
        return int(value)
    elif name == 'cookies':
        value = parse_cookies(self.headers.get('cookie'))
    elif name == 'files':
        if self.content_type == 'multipart/form-data':
            self.form  # noqa: B018 (unparsed: form's error says what to install)
        value = MultiDict()
    elif name == 'g':
        global _Namespace
        if _Namespace is None:
            class _Namespace:
                """A plain attribute bag for per-request data (``request.g``)."""
        value = _Namespace()
    elif name == 'client':
        client = self.scope.get('client')
        return tuple(client) if client else None
    elif name == 'scheme':
        return self.scope.get('scheme', 'http')
    elif name == 'host':
        host = self.headers.get('host')
        if host is None:
            server = self.scope.get('server')
            host = '%s:%s' % tuple(server) if server else ''
        return host
    elif name == 'url':
        qs = self.query_string
        return '%s://%s%s%s' % (self.scheme, self.host,
                                self.scope.get('root_path', '') + self.path,
                                '?' + qs if qs else '')
    else:
        app = self.app
        plan = app._plan or app._compile()
        for fn in plan['request_attribute']:
            value = fn(self, name)
            if value is not None:
                break
        else:
            raise AttributeError(
                "'Request' object has no attribute %r, and no loaded plugin provides it "
                "(request.session comes from plugdot-sessions: see `plugdot plugins`, "
                "App(plugins=...), `plugdot bundle --plugin`; a bundle leaves out the "
                "attributes no code names: `plugdot bundle --keep NAME`)" % name)
    setattr(self, name, value)
    return value


def stream(self, max_size=None):
    """Iterate over the body in chunks as they arrive (``async for``).

    For routes declared with ``stream=True``, whose body is not read
    before the handler. Past *max_size* bytes (default: the app's
    ``max_body_size``) it raises a 413 HTTPError.
    """
    if max_size is None:
        max_size = self.app.config['max_body_size']
    # The request is its own body iterator (a class less on a board).
    self._limit = max_size
    self._seen = 0  # bytes received so far
    self._replayed = False  # a body read before: given once
    return self

def _aiter(self):
    return self

async def _anext(self):
    # (after stream(), which sets the limit)
    if self._body_loaded:
        if self._replayed or not self._body:
            raise StopAsyncIteration
        self._replayed = True
        return self._body
    while not self._body_done:
        body = self._take(await self.receive())
        if body:
            return body
    raise StopAsyncIteration

def _take(self, message):
    # The body bytes of one ASGI message (400 if it is a disconnect, 413
    # past the size limit).
    if message['type'] == 'http.disconnect':
        raise HTTPError(400, 'Client disconnected')
    body = message.get('body', b'')
    self._body_done = not message.get('more_body', False)
    self._seen += len(body)
    if self._seen > self._limit:
        raise HTTPError(413, 'Request body too large (limit %d bytes)' % self._limit)
    return body

async def load_body(self, max_size=None):
    """Read the whole body into memory (once) and return it; past
    *max_size* bytes (default: the app's ``max_body_size``) a 413,
    before reading anything when Content-Length announces it."""
    if not self._body_loaded:
        if max_size is None:
            max_size = self.app.config['max_body_size']
        declared = self._length  # raw bytes, once scan_headers noted them
        if declared is None and self._type is None:  # not scanned
            declared = self.headers.get('content-length')
        if declared is not None:
            if not declared.isdigit():
                raise HTTPError(400, 'Invalid Content-Length')
            if int(declared) > max_size:
                raise HTTPError(413, 'Request body too large (limit %d bytes)' % max_size)
        message = await self.receive()
        body = message.get('body', b'')
        if message['type'] == 'http.request' and not message.get('more_body', False) \
                and len(body) <= max_size:  # all of it in one message: the usual case
            self._body_done = True
        else:  # a body in parts (chunked; the mpy-server's way), or a disconnect
            self._limit, self._seen = max_size, 0
            body = self._take(message)
            chunks = [body] if body else []
            while not self._body_done:
                body = self._take(await self.receive())
                if body:
                    chunks.append(body)
            body = chunks[0] if len(chunks) == 1 else b''.join(chunks)
        self._body = body
        self._body_loaded = True
    return self._body

def body_consumed(self):
    """True once nothing of the body is left to receive (there was none,
    it was read, or a stream reached its end)."""
    return not self.has_body or self._body_loaded or self._body_done
