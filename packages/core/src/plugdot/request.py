"""The :class:`Request` and the built-in body reader (``plugdot_parse_body``).

Everything is parsed on first access: query, headers, cookies, form, JSON.
The body is read before the handler runs only when the request has one and
the route does not stream it (see ``docs/architecture.md``).
"""
from ._compat import MICROPYTHON, latin1
from .errors import HTTPError

_more = None  # plugdot._request_more: computed attributes and body reading (see __getattr__)
_jsonlimit = None  # plugdot.jsonlimit, loaded with the first JSON body (CPython's request.json)

#: The headers that say whether there is a body and how to read it (on
#: CPython a set: most names are none of them, and a hash says so faster than
#: three compares; on a board a tuple, which is no heap).
_BODY_HEADERS = ((b'content-type', b'content-length', b'transfer-encoding') if MICROPYTHON
                 else {b'content-type', b'content-length', b'transfer-encoding'})


class Request:
    """One HTTP request, built from an ASGI ``http`` scope.

    Plain attributes: ``app`` (the app being served, also inside a mounted
    sub-app), ``mounted_app`` (the mounted sub-app whose route handles it,
    or None), ``scope``, ``method``, ``path`` (decoded), ``route_path``
    (the path inside the app that handles it: without the mount prefix),
    ``path_args`` (converted path arguments), ``route`` (the matched
    :class:`plugdot.routing.Route`).

    Computed on first access (read-only by intent; those marked * are then
    kept as plain attributes):

    * ``headers`` * -- the request headers (:class:`plugdot.Headers`,
      case-insensitive);
    * ``query`` * (also ``args``) -- query parameters
      (:class:`plugdot.MultiDict`); 400 if malformed;
    * ``query_string`` -- the raw query string (still percent-encoded),
      decoded as UTF-8; 400 if it is not UTF-8;
    * ``cookies`` * -- cookies sent by the client (a dict);
    * ``client`` -- ``(host, port)`` of the client, or None when the server
      does not say;
    * ``scheme`` -- ``http`` or ``https``; ``host`` -- the ``Host`` header, or
      the server address; ``url`` -- the full URL of the request;
    * ``content_type`` -- the media type of the body, lower case, without
      parameters; ``content_length`` -- the declared body length, or None;
    * ``body`` -- the request body as bytes (``b''`` when there is none);
    * ``json`` * -- the body parsed as JSON, or None without a body; 400 if
      invalid or nested deeper than the ``max_json_depth`` setting;
    * ``form`` * -- form fields (:class:`plugdot.MultiDict`) of an
      urlencoded or multipart body (the latter needs a plugin); 400 if
      malformed;
    * ``files`` * -- uploaded files (a MultiDict), filled by an uploads plugin;
    * ``g`` * -- a namespace for data that lives as long as the request;
    * any other public name: what a plugin's ``plugdot_request_attribute``
      gives (``request.session``), kept too.

    (On a board one ``__getattr__`` rather than a property each: every
    property is a function and an object in the heap. On CPython no
    ``__getattr__``, whose class takes the slow path on every attribute
    read: a descriptor each, see ``declare_attributes``.)
    """

    # Defaults live on the class so that creating a request stays cheap.
    mounted_app = None
    route = None
    path_args = None
    has_body = False
    _body = None
    _files = None  # what a body reader parsed (class-style binding reads it)
    # the raw Content-Type (b'' if none) / Content-Length of a body, see scan_headers
    _type = _length = None
    _body_loaded = False
    _body_done = False
    _after_this = None

    def __init__(self, app, scope, receive):
        self.app = app
        self.scope = scope
        self.receive = receive
        self.method = scope['method']
        self.path = self.route_path = scope['path']

    def __getattr__(self, name):
        # (A board; CPython has descriptors instead, see below.) Only reached
        # when normal lookup fails: an attribute computed on first access
        # (the class docstring) or a plugin's, or a method that reads the
        # body. Their code is in plugdot._request_more, loaded on first use
        # (a hello app never reads any: code is heap on a board); what is
        # kept is set on the instance, and the methods on the class, so that
        # the next read does not come here.
        if name[:1] == '_':
            raise AttributeError(name)
        global _more
        if _more is None:
            from . import _request_more as _more
            _more.install(Request)
            return getattr(self, name)  # a method just installed, or here again
        return _more.request_getattr(self, name)

    def after_this_request(self, fn):
        """Run ``fn(request, response)`` after this request's after-request
        hooks; it may return a replacement response. Plugins use it to write
        back state they loaded lazily (a session) only when it was used."""
        if self._after_this is None:
            self._after_this = []
        self._after_this.append(fn)
        return fn

    # -- the request line and headers ----------------------------------
    def scan_headers(self, max_count, max_size):
        """Check the header limits (431 past them), note in ``has_body`` (and
        return) whether the request declares a body (Content-Length > 0 or chunked),
        and keep the raw Content-Type and Content-Length (the first of each):
        reading the body then decodes no other header."""
        raw = self.scope['headers']
        size = len(raw)
        if size > max_count:
            raise HTTPError(431, 'Too many header fields (limit %d)' % max_count)
        size *= 4
        kind = length = None
        chunked = False
        for name, value in raw:
            size += len(name) + len(value)
            if name in _BODY_HEADERS:
                if name == b'content-type':
                    if kind is None:
                        kind = value
                elif name == b'content-length':
                    if length is None:
                        length = value
                else:
                    chunked = True
        # Without Content-Length a body may still come (chunked through a server
        # that drops Transfer-Encoding, or HTTP/2 where the length is optional):
        # methods that carry bodies are read to find out, never assumed empty.
        # (the methods whose requests carry no body unless the headers announce one)
        has_body = chunked or (self.method not in ('GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE')
                               if length is None
                                else length != b'0')
        if has_body:
            # Only a request with a body stores more (what reading it needs);
            # one without keeps the class's defaults, and content_type /
            # content_length read the headers if ever asked: every attribute
            # is heap while the request is in flight on a board.
            self.has_body = True
            self._type = kind or b''
            if length is not None:
                self._length = length
        if size > max_size:
            raise HTTPError(431, 'Request headers too large (limit %d bytes)' % max_size)
        return has_body

    def __repr__(self):
        return '<Request %s %s>' % (self.method, self.path)


if not MICROPYTHON:
    class _Computed:
        """(CPython) ``request.<name>`` computed by the function that is
        ``Request.__getattr__`` on a board. A non-data descriptor, so what
        it keeps on the request is read directly the next time. A board has
        none of these: its class stays small."""
        __slots__ = ('name',)

        def __init__(self, name):
            self.name = name

        def __get__(self, request, owner=None):
            if request is None:
                return self
            return _compute(request, self.name)

    # On CPython the class has no __getattr__: a class with one takes
    # CPython's slow path on every attribute read of its instances (no
    # specialised LOAD_ATTR; ~465 instructions a read on 3.11, -1,700
    # instructions on a hello request, -4,400 on a 1 KB JSON echo). The
    # names it answered are descriptors instead: the core's own, those the
    # plugins declare (declare_attributes), and 'session' (so that reading
    # it without plugdot-sessions says where it comes from).
    from . import _request_more
    _request_more.install(Request)  # the body methods, a board's on first use
    _compute = _request_more.request_getattr
    del Request.__getattr__
    for _name in ('headers', 'query', 'args', 'query_string', 'form', 'body', 'content_length',
                  'cookies', 'files', 'g', 'client', 'scheme', 'host', 'url', 'session'):
        setattr(Request, _name, _Computed(_name))
    del _name

    class _Json:
        """(CPython) ``request.json``, read on every JSON request: what the
        board's ``Request.__getattr__`` does for this name, without the
        dispatch on the name and a frame (~1,000 instructions an echo)."""
        __slots__ = ()

        def __get__(self, request, owner=None):
            if request is None:
                return self
            global _jsonlimit
            body = request._body if request._body_loaded else request.body
            if not body:
                return None
            if _jsonlimit is None:
                from . import jsonlimit as _jsonlimit
            limit = request.app.config['max_json_depth']
            try:
                value = _jsonlimit.loads(body, limit)
            except _jsonlimit.TooDeep:
                raise HTTPError(400, 'JSON body nested deeper than %d levels' % limit)
            except (ValueError, UnicodeError):
                raise HTTPError(400, 'Invalid JSON body')
            if value is not None:  # JSON null: parsed again if asked again
                request.json = value
            return value

    class _ContentType:
        """(CPython) ``request.content_type``, read on every request with a
        body: the board's ``Request.__getattr__`` for this name, without the
        dispatch and a frame."""
        __slots__ = ()

        def __get__(self, request, owner=None):
            if request is None:
                return self
            kind = request._type
            kind = request.headers.get('content-type', '') if kind is None else latin1(kind)
            return kind.partition(';')[0].strip().lower()

    Request.json = _Json()
    Request.content_type = _ContentType()

    def declare_attributes(implementations):
        """(CPython; the app calls it when it compiles its plan) Make
        ``request.<name>`` ask the ``plugdot_request_attribute``
        *implementations* for each name they declare (a ``names`` attribute
        of the implementation: ``plugdot_request_attribute.names =
        ('session',)``). An implementation that declares none may answer
        any name: ``Request`` then gets its ``__getattr__`` back, for every
        app of the process (correct, and slower)."""
        for fn in implementations:
            names = getattr(fn, 'names', None)
            if names is None:
                if '__getattr__' not in Request.__dict__:
                    Request.__getattr__ = _compute
                continue
            for name in names:
                if not hasattr(Request, name):  # never over an attribute or method
                    setattr(Request, name, _Computed(name))


async def plugdot_parse_body(request, content_type):
    """Read the body into memory (up to ``max_body_size``, see
    :meth:`Request.load_body`); form and JSON decode on first access. The
    app calls :meth:`Request.load_body` itself when this implementation is
    the one left after the others returned None."""
    await request.load_body(request.app.config['max_body_size'])
    return {}
