"""Loading and saving sessions for one app: the cookie format, the stores,
the cookie attributes. Portable (the Redis store is CPython only).

Loaded with the first app that uses sessions, not with the plugin; the
HS256 signer with it.
"""
import asyncio
import binascii
import os
import time

from plugdot import HTTPError
from plugdot._compat import log_exception

from ._hs256 import InvalidToken, decode, encode
from .session import Session

#: Browsers drop cookies larger than this instead of storing them.
MAX_COOKIE_BYTES = 4096


class SessionTooLarge(Exception):
    """The session does not fit in a cookie."""


def new_sid():
    """A random, unguessable session id (128 bits, hex)."""
    return binascii.hexlify(os.urandom(16)).decode()


class SessionManager:
    """Reads the app's session settings once and does the work."""

    def __init__(self, config):
        secret = config.get('secret_key')
        if not secret:
            raise RuntimeError('plugdot-sessions: set the secret_key setting (App(config='
                               '{"secret_key": ...}) or PLUGDOT_SECRET_KEY) to use sessions; '
                               'sessions are never stored unsigned')
        keys = list(secret) if isinstance(secret, (list, tuple)) else [secret]
        keys += list(config.get('secret_key_fallbacks') or ())
        self.keys = keys
        self.cookie_name = config['session_cookie_name']
        self.max_age = int(config['session_max_age'])
        self.path = config['session_cookie_path'] or '/'
        self.domain = config['session_cookie_domain'] or None
        secure = str(config['session_cookie_secure']).lower()
        # True, False, or None: when the request is https
        self.secure = True if secure in ('true', '1', 'yes', 'on') else \
            False if secure in ('false', '0', 'no', 'off') else None
        self.same_site = config['session_cookie_samesite'] or None
        self.timeout = float(config['session_backend_timeout'])
        backend = config['session_backend']
        if backend in (None, '', 'cookie'):
            backend = None
        elif backend == 'memory':
            from .backends import MemoryBackend
            backend = MemoryBackend(config['session_memory_max_entries'])
        elif isinstance(backend, str) and backend.startswith(('redis://', 'rediss://', 'unix://')):
            from .redis import RedisBackend
            backend = RedisBackend(backend)
        elif isinstance(backend, str):
            raise ValueError("session_backend must be 'cookie', 'memory', a redis:// URL "
                             "or a SessionBackend, not %r" % backend)
        self.backend = backend
        self.immediate = getattr(backend, 'immediate', False)

    def claims(self, request):
        """The verified claims of the session cookie of *request* (they
        always have an ``exp``), or None when it is missing, tampered,
        expired or foreign."""
        token = request.cookies.get(self.cookie_name)
        if not token:
            return None
        try:
            claims = decode(token, self.keys)
        except InvalidToken:
            return None
        return claims if 'exp' in claims else None

    def from_cookie(self, request):
        """The session of a cookie-store request: the token's data, or an
        empty session."""
        claims = self.claims(request)
        if claims is not None and isinstance(claims.get('data'), dict):
            return Session(claims['data'], new=False)
        return Session()

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
            return await asyncio.wait_for(operation, self.timeout)
        except Exception as exc:
            log_exception('plugdot-sessions: the session store failed', exc)
            raise HTTPError(503, 'Session store unavailable') from exc

    async def save(self, request, response):
        """Write the session back if it changed (``after_this_request``)."""
        session = request.session
        if not session.modified:
            return None
        session.modified = False  # saved once, however often this is called
        now = int(time.time())
        token = None
        if self.backend is None:
            if session:
                token = encode({'data': session.to_dict(), 'iat': now,
                                       'exp': now + self.max_age, 'jti': new_sid()[:16]},
                                      self.keys[0])
        else:
            old = session.sid
            if old and (session.regenerated or not session):
                await self._store(self.backend.delete(old))
                old = None
            if session:
                sid = old or new_sid()
                session.sid = sid
                await self._store(self.backend.save(sid, session.to_dict(), self.max_age))
                # The cookie holds only the id: sign a new one for a new id, or
                # when less than half of its lifetime is left (the store's
                # expiry moves with every save), not on every change.
                if sid != old or session.expires - now < self.max_age // 2:
                    token = encode({'sid': sid, 'exp': now + self.max_age}, self.keys[0])
                else:
                    return None
        if token is None:  # an empty session: the cookie goes
            if request.cookies.get(self.cookie_name) is not None:
                response.delete_cookie(self.cookie_name, path=self.path, domain=self.domain)
            return None
        secure = self.secure
        response.set_cookie(self.cookie_name, token, max_age=self.max_age, path=self.path,
                            domain=self.domain,
                            secure=request.scheme == 'https' if secure is None else secure,
                            http_only=True, same_site=self.same_site)
        size = len(response.headers.getlist('Set-Cookie')[-1])
        if size > MAX_COOKIE_BYTES:
            raise SessionTooLarge(
                'the session cookie would be %d bytes; browsers drop cookies over %d bytes: '
                'keep less in the session or use a server-side store (session_backend)'
                % (size, MAX_COOKIE_BYTES))
        return None
