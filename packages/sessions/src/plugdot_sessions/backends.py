"""Server-side session stores: the :class:`SessionBackend` interface, the
bounded, expiring in-memory store (Redis: :mod:`plugdot_sessions.redis`),
and the plugin that loads a stored session before the handler. Loaded only
by apps that use a server-side store."""
import json
import time

from plugdot import hookimpl
from plugdot._compat import json_dumps

try:
    from collections import OrderedDict
except ImportError:  # a MicroPython build without collections
    OrderedDict = dict


class SessionBackend:
    """Where server-side sessions live. Subclass it and implement the three
    coroutines; data is a JSON-compatible dict.

    * ``await load(sid)`` — the data of session *sid*, or None if unknown or
      expired (then the client's id is discarded, never adopted);
    * ``await save(sid, data, timeout)`` — store *data*, expiring after
      *timeout* seconds;
    * ``await delete(sid)`` — forget *sid* (no error if unknown).

    Each operation is given ``session_backend_timeout`` seconds (503 past
    it), unless the store sets ``immediate = True``: its coroutines never
    wait for anything (they finish at their first step), so no timer is
    armed.
    """

    immediate = False

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
    """Sessions in this process's memory: bounded (past *max_entries* the
    least recently used session is dropped: one that is read stays) and
    expiring. Not shared between workers — use Redis for that."""

    immediate = True

    def __init__(self, max_entries=10000):
        self.max_entries = max_entries
        self.entries = OrderedDict()  # sid -> (expires_at, json text), least recently used first

    async def load(self, sid):
        """Return the data of *sid* or None."""
        entry = self.entries.pop(sid, None)
        if entry is None:
            return None
        if entry[0] <= time.time():
            return None
        self.entries[sid] = entry  # now the most recently used
        return json.loads(entry[1])

    async def save(self, sid, data, timeout):
        """Store a copy of *data* for *timeout* seconds."""
        if self.entries.pop(sid, None) is None:
            while self.entries and len(self.entries) >= self.max_entries:
                self._evict()
        self.entries[sid] = (time.time() + timeout, json_dumps(data))

    async def delete(self, sid):
        """Forget *sid*."""
        self.entries.pop(sid, None)

    def _evict(self):
        # The least recently used entry is the first (every use moves an
        # entry to the end).
        for sid in self.entries:
            del self.entries[sid]
            return


class StoreLoader:
    """Per-app plugin, only for server-side stores: loads the session before
    the handler when the client sent a session cookie (stores are async;
    attribute access cannot await). It runs before every other
    ``before_request`` function, so that those see the session too."""

    def __init__(self, cookie_name):
        self.cookie_name = cookie_name

    @hookimpl(tryfirst=True)
    async def plugdot_before_request(self, request):
        if self.cookie_name not in request.cookies:
            return None
        m = request.app._plugdot_sessions
        request.session = await m.from_store(request)
        request.after_this_request(m.save)
        return None
