"""The :class:`WebSocket` a handler talks through, over the ASGI
``websocket`` scope. Portable: the same code under any ASGI server and the
mpy-server."""
import asyncio
import json


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

    def __init__(self, receive, send, max_message_size, idle_timeout, subprotocol=None):
        self._receive = receive
        self._send = send
        self.max_message_size = max_message_size
        self.idle_timeout = idle_timeout
        self.subprotocol = subprotocol
        self.closed = False
        self.close_code = None
        self.close_reason = ''
        self._send_lock = asyncio.Lock()
        self._receive_lock = asyncio.Lock()

    async def receive(self):
        """The next message; raises :class:`ConnectionClosed` once closed."""
        if self.closed:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        async with self._receive_lock:
            try:
                if self.idle_timeout:
                    message = await asyncio.wait_for(self._receive(), self.idle_timeout)
                else:
                    message = await self._receive()
            except asyncio.TimeoutError:
                await self.close(1001, 'idle timeout')
                raise ConnectionClosed(1001, 'idle timeout')
        kind = message['type']
        if kind == 'websocket.disconnect':
            self.closed = True
            self.close_code = message.get('code', 1005)
            self.close_reason = message.get('reason') or ''
            raise ConnectionClosed(self.close_code, self.close_reason)
        data = message.get('text')
        if data is None:
            data = message.get('bytes') or b''
        if self.max_message_size and len(data) > self.max_message_size:
            await self.close(1009, 'message too big')
            raise ConnectionClosed(1009, 'message too big')
        return data

    max_json_depth = 64  # the app's max_json_depth setting, once accepted

    async def receive_json(self):
        """The next message parsed as JSON; ValueError if it is not JSON or
        nests deeper than the app's ``max_json_depth``."""
        from plugdot.jsonlimit import loads
        return loads(await self.receive(), self.max_json_depth)

    async def send(self, data):
        """Send a text (str), binary (bytes) or JSON (dict/list) message."""
        if isinstance(data, (dict, list)):
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

    async def __anext__(self):
        try:
            return await self.receive()
        except ConnectionClosed:
            raise StopAsyncIteration
