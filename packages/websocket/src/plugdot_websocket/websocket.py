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
    tasks (one turn each: frames never interleave, waiting tasks go in
    order).
    """

    # The state as class-level defaults: an instance stores only what
    # changed, heap held for as long as the WebSocket is open. A side's turn
    # (_send_turn, _receive_turn) is None while free, True while one task
    # has it, an asyncio.Lock once two tasks meet (see _take): no lock for
    # a WebSocket that one task serves, nor asyncio's lock module on a board.
    closed = False
    close_code = None
    close_reason = ''
    subprotocol = None
    _send_turn = None
    _receive_turn = None

    def __init__(self, request, send, subprotocol=None):
        self.request = request  # its receive, and its app's limits
        self._send = send
        if subprotocol is not None:
            self.subprotocol = subprotocol

    async def _take(self, name):
        # Take the turn *name* ('_send_turn' or '_receive_turn'). The first
        # task to meet another one busy makes the lock, takes it for the
        # busy one (whose _give releases it) and queues on it.
        turn = getattr(self, name)
        if turn is None:
            setattr(self, name, True)
            return
        if turn is True:
            turn = asyncio.Lock()
            await turn.acquire()  # free: taken at once, for the task that is busy
            setattr(self, name, turn)
        await turn.acquire()

    def _give(self, name):
        turn = getattr(self, name)
        if turn is True:
            setattr(self, name, None)
        else:
            turn.release()

    async def receive(self, _iterating=False):
        """The next message; raises :class:`ConnectionClosed` once closed."""
        # (``async for`` calls this with *_iterating*: StopAsyncIteration
        # instead, without a frame of its own held while it waits.)
        try:
            if self.closed:
                raise ConnectionClosed(self.close_code or 1006, self.close_reason)
            config = self.request.app.config
            await self._take('_receive_turn')
            try:
                idle = config.get('websocket_idle_timeout', 0)
                try:
                    if idle:
                        message = await asyncio.wait_for(self.request.receive(), idle)
                    else:
                        message = await self.request.receive()
                except asyncio.TimeoutError:
                    await self.close(1001, 'idle timeout')
                    raise ConnectionClosed(1001, 'idle timeout')
            finally:
                self._give('_receive_turn')
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
            # The core's JSON, as in a JSON response: compact, UTF-8 (loaded
            # with the first JSON message on a board: loading the plugin does not)
            from plugdot._compat import json_dumps
            data = json_dumps(data)
        if isinstance(data, str):
            message = {'type': 'websocket.send', 'text': data}
        elif isinstance(data, (bytes, bytearray)):
            message = {'type': 'websocket.send', 'bytes': bytes(data)}
        else:
            raise TypeError('send() takes str, bytes, dict or list, not %s' % type(data).__name__)
        if self.closed:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        await self._take('_send_turn')
        try:
            await self._send(message)
        except (OSError, RuntimeError) as exc:
            self.closed = True
            self.close_code = self.close_code or 1006
            raise ConnectionClosed(self.close_code, str(exc))
        finally:
            self._give('_send_turn')

    async def close(self, code=1000, reason=''):
        """Close the connection (no error if it is closed already)."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.close_reason = reason
        await self._take('_send_turn')
        try:
            await self._send({'type': 'websocket.close', 'code': code, 'reason': reason})
        except (OSError, RuntimeError):
            pass
        finally:
            self._give('_send_turn')

    def __aiter__(self):
        return self

    def __anext__(self):
        return self.receive(True)
