"""A Redis session store (``pip install 'plugdot-sessions[redis]'``), so that
several workers or hosts share sessions. CPython only."""
import json

from .backends import SessionBackend


class RedisBackend(SessionBackend):
    """Sessions in Redis under ``prefix + sid``, with Redis expiry.

    *url* is a ``redis://`` or ``rediss://`` URL; *client* an existing
    ``redis.asyncio.Redis`` instead.
    """

    def __init__(self, url=None, prefix='plugdot:session:', client=None):
        if client is None:
            try:
                from redis import asyncio as aioredis
            except ImportError:
                raise RuntimeError("the Redis session store needs the redis package: "
                                   "pip install 'plugdot-sessions[redis]'")
            client = aioredis.from_url(url)
        self.client = client
        self.prefix = prefix

    async def load(self, sid):
        """Return the data of *sid* or None."""
        raw = await self.client.get(self.prefix + sid)
        return None if raw is None else json.loads(raw)

    async def save(self, sid, data, timeout):
        """Store *data*, expiring after *timeout* seconds."""
        await self.client.set(self.prefix + sid, json.dumps(data), ex=max(1, int(timeout)))

    async def delete(self, sid):
        """Forget *sid*."""
        await self.client.delete(self.prefix + sid)
