"""Send one message to many WebSockets (the dashboard / chat case)."""
import asyncio

from .websocket import ConnectionClosed


class Broadcast:
    """A set of connected clients.

    ``clients.add(ws)`` / ``clients.discard(ws)``; ``await clients.send(msg)``
    sends to every client concurrently and drops those that are closed or
    fail, without raising. ``len(clients)`` is how many are connected.

    With *channel* and *via* (a ``plugdot_broadcast.Broadcast``, such as
    ``app.broadcast``) the clients of every worker and host are reached:
    ``send()`` publishes on the channel, and each process relays what the
    channel carries to its own clients (from the first ``add()`` until the
    last client leaves). ``send()`` then returns how many local clients
    there were.
    """

    def __init__(self, channel=None, via=None):
        if (channel is None) != (via is None):
            raise ValueError('Broadcast(channel=..., via=app.broadcast): give both or neither')
        self.clients = set()
        self.channel = channel
        self.via = via
        self._relay = None
        self._ready = None

    def add(self, ws):
        """Start sending to *ws*."""
        self.clients.add(ws)
        if self.channel is not None and self._relay is None:
            self._ready = asyncio.Event()
            self._relay = asyncio.create_task(self._run_relay())

    def discard(self, ws):
        """Stop sending to *ws*."""
        self.clients.discard(ws)
        if not self.clients and self._relay is not None:
            self._relay.cancel()
            self._relay = None

    def __len__(self):
        return len(self.clients)

    async def send(self, message):
        """Send *message* to everyone; return how many received it (with a
        channel: how many local clients it is being relayed to)."""
        if self.channel is not None:
            if self._relay is not None:
                await self._ready.wait()
            await self.via.publish(self.channel, message)
            return len(self.clients)
        return await self._send_local(message)

    async def _send_local(self, message):
        clients = list(self.clients)
        results = await asyncio.gather(*[self._send_one(ws, message) for ws in clients])
        return sum(1 for ok in results if ok)

    async def _run_relay(self):
        subscription = self.via.subscribe(self.channel)
        try:
            await subscription.start()
            self._ready.set()
            async for message in subscription:
                if not message.resync:
                    await self._send_local(message.data)
        finally:
            self._ready.set()
            subscription.close()

    async def _send_one(self, ws, message):
        if ws.closed:
            self.clients.discard(ws)
            return False
        try:
            await ws.send(message)
            return True
        except (ConnectionClosed, OSError):
            self.clients.discard(ws)
            return False
