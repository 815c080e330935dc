"""Server-side session stores: the :class:`SessionBackend` interface, the
bounded, expiring in-memory store (Redis: :mod:`plugdot_sessions.redis`),
the manager that keeps a signed id in the cookie and the data in the store,
and the plugin that loads a stored session before the handler. Loaded only
by apps that use a server-side store."""
import asyncio
import json
import time

from plugdot import HTTPError, hookimpl
from plugdot._compat import json_dumps, log_exception

from ._hs256 import encode
from .manager import Session, SessionManager, cookie_of, new_sid

try:
    from collections import OrderedDict
except ImportError:  # a MicroPython build without collections
    OrderedDict = dict


_timeout = getattr(asyncio, 'timeout', None)  # absent before 3.11 and on a board

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
        if cookie_of(request, self.cookie_name) is None:  # (not request.cookies: see cookie_of)
            return None
        m = request.app._plugdot_sessions
        request.session = await m.from_store(request)
        request.after_this_request(m.save)
        return None


class StoreManager(SessionManager):
    """The session manager of an app with a server-side store: the cookie
    holds a signed random id, the store the data."""

    def __init__(self, config):
        super().__init__(config)
        self.timeout = float(config['session_backend_timeout'])
        backend = config['session_backend']
        if backend == 'memory':
            backend = MemoryBackend(config['session_memory_max_entries'])
        elif isinstance(backend, str) and backend.startswith(('redis://', 'rediss://', 'unix://')):
            from .redis import RedisBackend
            backend = RedisBackend(backend)
        elif isinstance(backend, str):
            raise ValueError("session_backend must be 'cookie', 'memory', a redis:// URL "
                             "or a SessionBackend, not %r" % backend)
        self.backend = backend
        self.immediate = getattr(backend, 'immediate', False)

    async def from_store(self, request):
        """The session of a server-side request: the store's data for the
        signed id in the cookie, or a new empty session."""
        claims = self.claims(request)
        sid = claims.get('sid') if claims else None
        if isinstance(sid, str):
            data = await self._store(self.backend.load(sid))
            if data is not None:
                session = Session(data, sid=sid, new=False)
                session.expires = claims['exp']
                return session
        return Session()

    async def _store(self, operation):
        # A store that is down or slow is the server's trouble, not a bug in
        # the app: answer 503 and log why (the client never sees the cause).
        # A store that never waits (memory) needs no timer: arming one costs
        # more than the operation.
        try:
            if self.immediate:
                return await operation
            if _timeout is not None:  # Python 3.11+: a timer, no task as wait_for makes
                async with _timeout(self.timeout):
                    return await operation
            return await asyncio.wait_for(operation, self.timeout)
        except Exception as exc:
            log_exception('plugdot-sessions: the session store failed', exc)
            raise HTTPError(503, 'Session store unavailable') from exc

    async def save(self, request, response):
        """Write the session back to the store if it changed (``after_this_request``)."""
        session = request.session
        if not session.modified:
            return None
        session.modified = False  # saved once, however often this is called
        old = session.sid
        if old and (session.regenerated or not session):
            await self._store(self.backend.delete(old))
            old = None
        if not session:
            self.write(request, response, None)
            return None
        sid = old or new_sid()
        session.sid = sid
        await self._store(self.backend.save(sid, session.to_dict(), self.max_age))
        # The cookie holds only the id: sign a new one for a new id, or when
        # less than half of its lifetime is left (the store's expiry moves
        # with every save), not on every change.
        now = int(time.time())
        if sid != old or session.expires - now < self.max_age // 2:
            self.write(request, response, encode({'sid': sid, 'exp': now + self.max_age},
                                                 self.keys[0]))
        return None
