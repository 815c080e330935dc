"""Send one message to many WebSockets (the dashboard / chat case)."""
import asyncio

from .websocket import ConnectionClosed


class Broadcast:
    """A set of connected clients.

    ``clients.add(ws)`` / ``clients.discard(ws)``; ``await clients.send(msg)``
    sends to every client concurrently and drops those that are closed or
    fail, without raising. ``len(clients)`` is how many are connected.
    """

    def __init__(self):
        self.clients = set()

    def add(self, ws):
        """Start sending to *ws*."""
        self.clients.add(ws)

    def discard(self, ws):
        """Stop sending to *ws*."""
        self.clients.discard(ws)

    def __len__(self):
        return len(self.clients)

    async def send(self, message):
        """Send *message* to everyone; return how many received it."""
        clients = list(self.clients)
        results = await asyncio.gather(*[self._send_one(ws, message) for ws in clients])
        return sum(1 for ok in results if ok)

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
