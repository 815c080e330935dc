"""The :class:`WebSocket` a handler talks through, over the ASGI
``websocket`` scope. Portable: the same code under any ASGI server and the
mpy-server."""
import asyncio


class ConnectionClosed(Exception):
    """The WebSocket is closed; ``code`` and ``reason`` say how."""

    def __init__(self, code, reason=''):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocket:
    """One accepted WebSocket connection.

    ``await receive()`` returns ``str`` (text) or ``bytes`` (binary);
    ``await send(x)`` takes ``str``, ``bytes`` or a dict/list (sent as JSON
    text); ``await close(code, reason)``; ``async for message in ws`` ends
    when the peer closes. Sending and receiving are safe from concurrent
    tasks (one lock each: frames never interleave).
    """

    # The state as class-level defaults: an instance stores only what
    # changed, heap held for as long as the WebSocket is open.
    closed = False
    close_code = None
    close_reason = ''
    subprotocol = None

    def __init__(self, request, send, subprotocol=None):
        self.request = request  # its receive, and its app's limits
        self._send = send
        if subprotocol is not None:
            self.subprotocol = subprotocol
        self._send_lock = asyncio.Lock()
        self._receive_lock = asyncio.Lock()

    async def receive(self, _iterating=False):
        """The next message; raises :class:`ConnectionClosed` once closed."""
        # (``async for`` calls this with *_iterating*: StopAsyncIteration
        # instead, without a frame of its own held while it waits.)
        try:
            if self.closed:
                raise ConnectionClosed(self.close_code or 1006, self.close_reason)
            config = self.request.app.config
            async with self._receive_lock:
                idle = config.get('websocket_idle_timeout', 0)
                try:
                    if idle:
                        message = await asyncio.wait_for(self.request.receive(), idle)
                    else:
                        message = await self.request.receive()
                except asyncio.TimeoutError:
                    await self.close(1001, 'idle timeout')
                    raise ConnectionClosed(1001, 'idle timeout')
            if message['type'] == 'websocket.disconnect':
                self.closed = True
                self.close_code = message.get('code', 1005)
                self.close_reason = message.get('reason') or ''
                raise ConnectionClosed(self.close_code, self.close_reason)
            data = message.get('text')
            if data is None:
                data = message.get('bytes') or b''
            limit = config.get('websocket_max_message_size', 0)
            if limit and len(data) > limit:
                await self.close(1009, 'message too big')
                raise ConnectionClosed(1009, 'message too big')
            return data
        except ConnectionClosed:
            if _iterating:
                raise StopAsyncIteration
            raise

    async def receive_json(self):
        """The next message parsed as JSON; ValueError if it is not JSON or
        nests deeper than the app's ``max_json_depth``."""
        from plugdot.jsonlimit import loads
        return loads(await self.receive(), self.request.app.config.get('max_json_depth', 64))

    async def send(self, data):
        """Send a text (str), binary (bytes) or JSON (dict/list) message."""
        if isinstance(data, (dict, list)):
            import json  # with the first JSON message: loading the plugin does not load json
            data = json.dumps(data)
        if isinstance(data, str):
            message = {'type': 'websocket.send', 'text': data}
        elif isinstance(data, (bytes, bytearray)):
            message = {'type': 'websocket.send', 'bytes': bytes(data)}
        else:
            raise TypeError('send() takes str, bytes, dict or list, not %s' % type(data).__name__)
        if self.closed:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        async with self._send_lock:
            try:
                await self._send(message)
            except (OSError, RuntimeError) as exc:
                self.closed = True
                self.close_code = self.close_code or 1006
                raise ConnectionClosed(self.close_code, str(exc))

    async def close(self, code=1000, reason=''):
        """Close the connection (no error if it is closed already)."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.close_reason = reason
        async with self._send_lock:
            try:
                await self._send({'type': 'websocket.close', 'code': code, 'reason': reason})
            except (OSError, RuntimeError):
                pass

    def __aiter__(self):
        return self

    def __anext__(self):
        return self.receive(True)
