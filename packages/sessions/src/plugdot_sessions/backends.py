"""Server-side session stores: the :class:`SessionBackend` interface and the
bounded, expiring in-memory store. (Redis: :mod:`plugdot_sessions.redis`.)"""
import json
import time


class SessionBackend:
    """Where server-side sessions live. Subclass it and implement the three
    coroutines; data is a JSON-compatible dict.

    * ``await load(sid)`` — the data of session *sid*, or None if unknown or
      expired (then the client's id is discarded, never adopted);
    * ``await save(sid, data, timeout)`` — store *data*, expiring after
      *timeout* seconds;
    * ``await delete(sid)`` — forget *sid* (no error if unknown).
    """

    async def load(self, sid):
        """Return the data of *sid* or None."""
        raise NotImplementedError

    async def save(self, sid, data, timeout):
        """Store *data* for *timeout* seconds."""
        raise NotImplementedError

    async def delete(self, sid):
        """Forget *sid*."""
        raise NotImplementedError


class MemoryBackend(SessionBackend):
    """Sessions in this process's memory: bounded (the soonest-expiring
    entries are dropped past *max_entries*) and expiring. Not shared between
    workers — use Redis for that."""

    def __init__(self, max_entries=10000):
        self.max_entries = max_entries
        self.entries = {}  # sid -> (expires_at, json text)

    async def load(self, sid):
        """Return the data of *sid* or None."""
        entry = self.entries.get(sid)
        if entry is None:
            return None
        if entry[0] <= time.time():
            del self.entries[sid]
            return None
        return json.loads(entry[1])

    async def save(self, sid, data, timeout):
        """Store a copy of *data* for *timeout* seconds."""
        if sid not in self.entries and len(self.entries) >= self.max_entries:
            self._evict()
        self.entries[sid] = (time.time() + timeout, json.dumps(data))

    async def delete(self, sid):
        """Forget *sid*."""
        self.entries.pop(sid, None)

    def _evict(self):
        now = time.time()
        for sid in [s for s, e in self.entries.items() if e[0] <= now]:
            del self.entries[sid]
        while len(self.entries) >= self.max_entries:
            soonest = min(self.entries, key=lambda s: self.entries[s][0])
            del self.entries[soonest]
