"""An in-process test client: no sockets, a cookie jar, JSON helpers.

Portable: it runs the same under MicroPython. It drives the app through its
ASGI interface exactly as a server would, lifespan included when used as a
context manager (``with TestClient(app) as client``).
"""
import asyncio
import json as _json
import time

from .datastructures import Headers, unquote


class TestResponse:
    """What the app answered: ``status_code``, ``headers``, ``body``,
    ``text`` and ``json()``; ``template`` and ``context`` when a plugin
    reported them through the ASGI ``http.response.debug`` extension (the
    templates plugin does), else None."""

    __test__ = False  # not a pytest test class

    def __init__(self, status_code, headers, body, debug=None):
        self.status_code = status_code
        self.headers = headers
        self.body = body
        debug = debug or {}
        self.template = debug.get('template')
        self.context = debug.get('context')

    @property
    def text(self):
        """The body decoded as UTF-8."""
        return self.body.decode('utf-8')

    def json(self):
        """The body parsed as JSON."""
        return _json.loads(self.body)

    @property
    def events(self):
        """The Server-Sent Events of a ``text/event-stream`` body, parsed
        (each has ``event``, ``data``, ``id``, ``retry`` and ``json()``);
        after ``events=N``, exactly the first N (an app may have sent more
        in the chunk that held the Nth)."""
        from ._eventstream import parse_events
        return parse_events(self.text)[:self.events_limit]

    #: ``events=N`` of the request, or None.
    events_limit = None

    def __repr__(self):
        return '<TestResponse %d>' % self.status_code


class _Inbox:
    """A tiny async queue (MicroPython's asyncio has no Queue)."""

    def __init__(self):
        self.items = []
        self.event = asyncio.Event()

    def put(self, item):
        self.items.append(item)
        self.event.set()

    async def get(self):
        while not self.items:
            self.event.clear()
            await self.event.wait()
        return self.items.pop(0)


def request_body(headers, body=None, json=None, form=None, data=None, files=None):
    """The bytes (or None) of a test request's body from the TestClient's
    keyword arguments, setting its Content-Type in *headers* (a dict): a
    multipart body for ``files=`` (with ``data=``/``form=`` fields), JSON for
    ``json=``, urlencoded for ``form=`` or a dict ``data=``, else ``data=`` or
    ``body=`` as they are. Shared with the pytest plugin's ``mpy_client``."""
    if data is not None:
        if isinstance(data, dict):
            form = data
        else:
            body = data
    if files is not None:
        boundary = 'plugdot-test-boundary-7MA4YWxkTrZu0gW'
        body = multipart_body(form or {}, files, boundary)
        headers.setdefault('Content-Type', 'multipart/form-data; boundary=' + boundary)
    elif json is not None:
        body = _json.dumps(json).encode()
        headers.setdefault('Content-Type', 'application/json')
    elif form is not None:
        body = '&'.join('%s=%s' % (_quote(str(k)), _quote(str(v)))
                        for k, v in form.items()).encode()
        headers.setdefault('Content-Type', 'application/x-www-form-urlencoded')
    return body.encode() if isinstance(body, str) else body


class TestClient:
    """Call an ASGI app in-process.

    ``client.get('/path?x=1', headers={...})`` and friends return a
    :class:`TestResponse`; ``json=`` sends a JSON body, ``form=`` or
    ``data=`` an urlencoded one, ``files=`` a multipart one, ``body=`` raw
    bytes (see :meth:`request_async`). Cookies the app sets are kept as a
    browser keeps them (Path, Domain, Max-Age, deletion) and sent back;
    ``client.cookies`` is the jar (name -> value; set one by hand to send it
    everywhere). Inside a running event loop use
    ``await client.request_async(...)``.
    """

    __test__ = False

    def __init__(self, app, headers=None, client=('127.0.0.1', 50000), scheme='http'):
        self.app = app
        self.headers = dict(headers or {})
        self.cookies = {}        # name -> value; set by hand, sent on every request
        self._cookie_rules = {}  # name -> (path, domain, expiry) of cookies the app set
        self.client = client
        self.scheme = scheme
        self._loop = None
        self._lifespan = None

    # -- lifespan -----------------------------------------------------------
    def _run(self, coro):
        if self._loop is not None:  # inside "with": one loop for the lifespan
            return self._loop.run_until_complete(coro)
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.close()

    def __enter__(self):
        self._loop = asyncio.new_event_loop()
        self._run(self._lifespan_event('startup'))
        return self

    def __exit__(self, *exc_info):
        try:
            self._run(self._lifespan_event('shutdown'))
        finally:
            self._loop.close()
            self._loop = None
            self._lifespan = None

    async def _lifespan_event(self, phase):
        if self._lifespan is None:
            inbox, outbox = _Inbox(), _Inbox()

            async def send(message):
                outbox.put(message)
            task = asyncio.create_task(self.app({'type': 'lifespan', 'asgi': {'version': '3.0'}},
                                                inbox.get, send))
            self._lifespan = (inbox, outbox, task)
        inbox, outbox, task = self._lifespan
        inbox.put({'type': 'lifespan.' + phase})
        reply = await outbox.get()
        if reply['type'] != 'lifespan.%s.complete' % phase:
            raise RuntimeError('lifespan %s failed: %s' % (phase, reply.get('message')))

    # -- requests -------------------------------------------------------------
    def request(self, method, path, **options):
        """Send a request and return the :class:`TestResponse`."""
        return self._run(self.request_async(method, path, **options))

    def get(self, path, **options):
        """Send a GET request."""
        return self.request('GET', path, **options)

    def head(self, path, **options):
        """Send a HEAD request."""
        return self.request('HEAD', path, **options)

    def options(self, path, **options):
        """Send an OPTIONS request."""
        return self.request('OPTIONS', path, **options)

    def post(self, path, **options):
        """Send a POST request."""
        return self.request('POST', path, **options)

    def put(self, path, **options):
        """Send a PUT request."""
        return self.request('PUT', path, **options)

    def patch(self, path, **options):
        """Send a PATCH request."""
        return self.request('PATCH', path, **options)

    def delete(self, path, **options):
        """Send a DELETE request."""
        return self.request('DELETE', path, **options)

    def websocket_connect(self, path, headers=None, subprotocols=None, timeout=5):
        """Open a WebSocket to *path* (use ``with``); see TestWebSocket."""
        return TestWebSocket(self, path, headers, subprotocols, timeout)

    def build_scope(self, method, path, headers=None, query=None):
        """The ASGI scope for a request (also used by plugin test clients)."""
        path, _, query_string = path.partition('?')
        if query:
            extra = '&'.join('%s=%s' % (_quote(str(k)), _quote(str(v))) for k, v in query.items())
            query_string = query_string + '&' + extra if query_string else extra
        all_headers = dict((k.lower(), str(v)) for k, v in self.headers.items())
        for k, v in (headers or {}).items():
            all_headers[k.lower()] = str(v)
        all_headers.setdefault('host', 'testserver')
        jar = self._cookies_for(unquote(path), all_headers['host'].partition(':')[0])
        if jar:
            # An explicit Cookie header adds to the jar; its own names win.
            explicit = all_headers.get('cookie')
            if explicit:
                names = [part.partition('=')[0].strip() for part in explicit.split(';')]
                jar = [kv for kv in jar if kv[0] not in names]
            pairs = ['%s=%s' % kv for kv in jar]
            if explicit:
                pairs.insert(0, explicit)
            all_headers['cookie'] = '; '.join(pairs)
        return {
            'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1',
            'method': method.upper(), 'scheme': self.scheme, 'path': unquote(path),
            'raw_path': path.encode(), 'query_string': query_string.encode(),
            'root_path': '', 'client': self.client, 'server': ('testserver', 80),
            'headers': [(k.encode(), v.encode()) for k, v in all_headers.items()],
            'extensions': {'http.response.debug': {}},
        }

    async def request_async(self, method, path, headers=None, query=None, body=None,
                            json=None, form=None, data=None, files=None,
                            disconnect_after=None, events=None, stream_timeout=5):
        """Send a request from inside a running event loop.

        ``json=`` sends a JSON body, ``form=`` (or httpx's ``data=`` with a
        dict) an urlencoded one, ``data=`` with str/bytes a raw body, and
        ``files=`` a multipart body (``{'field': ('name.txt', b'...',
        'text/plain')}`` or ``{'field': b'...'}``, with ``data=`` fields
        beside the files). With ``disconnect_after=N`` the client hangs up
        once the app has sent N body chunks (for streams that never end);
        with ``events=N`` once N Server-Sent Events have arrived (then read
        them from ``response.events``). Either one fails (AssertionError)
        if the app has not ended *stream_timeout* seconds (default 5) after
        the request: fewer chunks or events came, or the app went on after
        the client left.
        """
        headers = dict(headers or {})
        body = request_body(headers, body, json, form, data, files)
        if body is not None:
            headers.setdefault('Content-Length', str(len(body)))
        scope = self.build_scope(method, path, headers, query)
        messages = [{'type': 'http.request', 'body': body or b'', 'more_body': False}]
        sent = []
        gone = asyncio.Event()  # set when the exchange ends (or the client hangs up)
        if events is not None:
            from ._eventstream import EventParser
            parser, seen = EventParser(), [0]

        async def receive():
            if messages:
                return messages.pop(0)
            await gone.wait()  # as a server: disconnect only once the client is gone
            return {'type': 'http.disconnect'}

        async def send(message):
            if gone.is_set():
                raise OSError(32, 'the test client disconnected')  # EPIPE, as a socket
            sent.append(message)
            if disconnect_after is not None and message.get('more_body') and \
                    sum(1 for m in sent if m.get('more_body')) >= disconnect_after:
                gone.set()
            if events is not None and message['type'] == 'http.response.body':
                seen[0] += len(parser.feed(message.get('body', b'').decode('utf-8')))
                if seen[0] >= events:
                    gone.set()

        try:
            if events is None and disconnect_after is None:
                await self.app(scope, receive, send)
            else:
                late = False
                try:  # a stream may never end: bounded
                    await asyncio.wait_for(self.app(scope, receive, send), stream_timeout)
                except asyncio.TimeoutError:
                    late = True
                if late:
                    if events is not None:
                        got = '%d of the %d events asked for (events=%d)' % (
                            seen[0], events, events)
                    else:
                        got = '%d of the %d body chunks asked for (disconnect_after=%d)' % (
                            sum(1 for m in sent if m.get('more_body')), disconnect_after,
                            disconnect_after)
                    raise AssertionError('%s %s: %s came, and the app had not ended %s s later '
                                         '(stream_timeout=%s)' % (method.upper(), path, got,
                                                                  stream_timeout, stream_timeout))
        finally:
            gone.set()
        response = self._response(sent)
        response.events_limit = events
        return response

    def _response(self, sent):
        debug = {}
        while sent and sent[0]['type'] == 'http.response.debug':
            debug.update(sent.pop(0).get('info') or {})
        start = sent[0]
        if start['type'] != 'http.response.start':
            raise RuntimeError('the app sent %r before http.response.start' % start['type'])
        headers = Headers.from_asgi(start['headers'])
        body = b''.join(m.get('body', b'') for m in sent[1:])
        for value in headers.getlist('set-cookie'):
            self._store_cookie(value)
        return TestResponse(start['status'], headers, body, debug)

    def _cookies_for(self, path, host):
        """The ``(name, value)`` pairs of the jar that a request to *path* on
        *host* carries: cookie Path and Domain match, expired ones dropped."""
        pairs = []
        now = time.time()
        for name in list(self.cookies):
            rule = self._cookie_rules.get(name)
            if rule is not None:
                cookie_path, domain, expires = rule
                if expires is not None and expires <= now:
                    del self.cookies[name]
                    continue
                if not _path_matches(path, cookie_path) or not _domain_matches(host, domain):
                    continue
            pairs.append((name, self.cookies[name]))
        return pairs

    def _store_cookie(self, header):
        """Keep a ``Set-Cookie`` value as a browser would: Path, Domain,
        Max-Age (0 or less deletes) and Expires in the past (deletes)."""
        pair, _, attrs = header.partition(';')
        name, _, value = pair.partition('=')
        name = name.strip()
        path, domain, expires = '/', None, None
        for attr in attrs.split(';'):
            key, _, arg = attr.partition('=')
            key, arg = key.strip().lower(), arg.strip()
            if key == 'path' and arg.startswith('/'):
                path = arg
            elif key == 'domain' and arg:
                domain = arg.lstrip('.').lower()
            elif key == 'max-age':
                try:
                    expires = time.time() + int(arg)
                except ValueError:
                    pass
            elif key == 'expires' and expires is None and ' 1970 ' in arg:
                expires = 0
        if expires is not None and expires <= time.time():
            self.cookies.pop(name, None)
            self._cookie_rules.pop(name, None)
            return
        self.cookies[name] = value.strip()
        self._cookie_rules[name] = (path, domain, expires)


class WebSocketClosed(Exception):
    """The app closed (or refused) the test WebSocket; ``code`` says how."""

    def __init__(self, code, reason=''):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocketRefused(WebSocketClosed):
    """The app refused the test WebSocket before accepting it (no route, a
    401 from a check, a foreign Origin), answering with an HTTP response as
    it does under uvicorn, hypercorn and the mpy-server (ASGI's
    ``websocket.http.response`` extension): ``status``, ``headers`` and
    ``body`` are what a real client sees; ``code`` is 1008."""

    def __init__(self, status, headers, body):
        super().__init__(1008, 'refused with HTTP %d' % status)
        self.status = status
        self.headers = headers
        self.body = body


class TestWebSocket:
    """A WebSocket to the app, in-process: ``send``, ``send_json``,
    ``receive`` (str or bytes), ``receive_json``, ``close``. Use it as a
    context manager: ``with client.websocket_connect('/ws') as ws:``."""

    __test__ = False

    def __init__(self, client, path, headers=None, subprotocols=None, timeout=5):
        self.client = client
        self.timeout = timeout
        scope = client.build_scope('GET', path, headers)
        scope['type'] = 'websocket'
        scope['scheme'] = 'ws'
        del scope['method']
        scope['subprotocols'] = list(subprotocols or ())
        scope['extensions']['websocket.http.response'] = {}  # as every server plugdot runs on
        self.scope = scope
        self.subprotocol = None
        self.closed = False
        self._own_loop = None
        self._task = None

    def _run(self, coro):
        loop = self.client._loop or self._own_loop
        return loop.run_until_complete(asyncio.wait_for(coro, self.timeout))

    def __enter__(self):
        if self.client._loop is None:
            self._own_loop = asyncio.new_event_loop()
        loop = self.client._loop or self._own_loop
        self.to_app, self.from_app = _Inbox(), _Inbox()
        self.to_app.put({'type': 'websocket.connect'})

        async def send(message):
            self.from_app.put(message)
        self._task = loop.create_task(self.client.app(self.scope, self.to_app.get, send))
        first = self._run(self.from_app.get())
        if first['type'] == 'websocket.http.response.start':
            body = b''
            while True:
                message = self._run(self.from_app.get())
                body += message.get('body', b'')
                if not message.get('more_body'):
                    break
            self._finish()
            raise WebSocketRefused(first['status'], Headers.from_asgi(first.get('headers', [])),
                                   body)
        if first['type'] != 'websocket.accept':
            self._finish()
            raise WebSocketClosed(first.get('code', 1006))
        self.subprotocol = first.get('subprotocol')
        return self

    def __exit__(self, *exc_info):
        self.close()

    def send(self, data):
        """Send a text (str) or binary (bytes) message."""
        key = 'text' if isinstance(data, str) else 'bytes'
        self.to_app.put({'type': 'websocket.receive', key: data})

    def send_json(self, value):
        """Send *value* as JSON text."""
        self.send(_json.dumps(value))

    def receive(self):
        """The next message from the app; WebSocketClosed when it closes."""
        message = self._run(self.from_app.get())
        if message['type'] == 'websocket.close':
            self.closed = True
            raise WebSocketClosed(message.get('code', 1000), message.get('reason', ''))
        text = message.get('text')
        return text if text is not None else message.get('bytes')

    def receive_json(self):
        """The next message parsed as JSON."""
        return _json.loads(self.receive())

    def close(self, code=1000):
        """Close from the client side and wait for the app to finish."""
        if not self.closed:
            self.closed = True
            self.to_app.put({'type': 'websocket.disconnect', 'code': code})
        self._finish()

    def _finish(self):
        if self._task is not None:
            try:
                self._run(self._task)
            except Exception:
                pass
            self._task = None
        if self._own_loop is not None:
            self._own_loop.close()
            self._own_loop = None


def _path_matches(path, cookie_path):
    if path == cookie_path or cookie_path == '/':
        return True
    return path.startswith(cookie_path if cookie_path.endswith('/') else cookie_path + '/')


def _domain_matches(host, domain):
    return domain is None or host == domain or host.endswith('.' + domain)


def _quote(text):
    out = []
    for ch in text:
        if ch.isalpha() and ord(ch) < 128 or ch.isdigit() or ch in '-_.~':
            out.append(ch)
        else:
            out.extend('%%%02X' % b for b in ch.encode())
    return ''.join(out)


def multipart_body(fields, files, boundary):
    """A ``multipart/form-data`` body of text *fields* and *files*, each file
    given as bytes or ``(filename, content[, content_type])``; a list of
    values (fields) or of files repeats the name. Quotes, CR and LF in names
    are percent-encoded as browsers do; anything else is sent as given
    (tests of unsafe file names)."""
    out = []
    for name, value in fields.items():
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n'
                        % (boundary, _escape_param(name))).encode())
            out.append(item if isinstance(item, bytes) else str(item).encode())
            out.append(b'\r\n')
    for name, specs in files.items():
        for spec in (specs if isinstance(specs, list) else [specs]):
            if isinstance(spec, (bytes, bytearray, str)):
                spec = (name, spec)
            filename, content = spec[0], spec[1]
            kind = spec[2] if len(spec) > 2 else 'application/octet-stream'
            if hasattr(content, 'read'):
                content = content.read()
            if isinstance(content, str):
                content = content.encode()
            out.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                        'Content-Type: %s\r\n\r\n' % (boundary, _escape_param(name),
                                                       _escape_param(filename), kind)).encode())
            out.append(bytes(content))
            out.append(b'\r\n')
    out.append(('--%s--\r\n' % boundary).encode())
    return b''.join(out)


def _escape_param(text):
    # What browsers do (WHATWG HTML): quote, CR and LF percent-encoded.
    return text.replace('"', '%22').replace('\r', '%0D').replace('\n', '%0A')


__all__ = ['TestClient', 'TestResponse', 'TestWebSocket', 'WebSocketClosed', 'WebSocketRefused']

# Under pytest (which loads this module through the pytest11 entry point):
# the client / mpy_client fixtures and the plugdot marker. CPython only.
import sys as _sys  # noqa: E402
if 'pytest' in _sys.modules and _sys.implementation.name != 'micropython':
    from ._pytest_plugin import (client, mpy_client, pytest_configure,  # noqa: F401
                                 pytest_generate_tests)
