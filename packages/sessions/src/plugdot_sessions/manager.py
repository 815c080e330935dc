"""Loading and saving sessions for one app: the cookie format and
attributes, the signed cookie store. Portable.

Loaded with the first app that uses sessions, not with the plugin; the
HS256 signer with it.
"""
import binascii
import os
import time

from plugdot._compat import latin1
from plugdot.datastructures import parse_cookies

from ._hs256 import InvalidToken, decode, encode
from .session import Session

#: Browsers drop cookies larger than this instead of storing them.
MAX_COOKIE_BYTES = 4096


class SessionTooLarge(Exception):
    """The session does not fit in a cookie."""


def cookie_of(request, name):
    """The value of cookie *name* that *request* sent, or None: what
    ``request.cookies.get(name)`` answers (the first ``Cookie`` header, the
    core's parser), read from the raw header. ``request.cookies`` decodes
    every header and is kept with the request: heap held at the peak of a
    session request on a board, which reads only this cookie."""
    for key, value in request.scope['headers']:
        if key == b'cookie':  # (ASGI header names are lowercase)
            return parse_cookies(latin1(value)).get(name)
    return None


def new_sid():
    """A random, unguessable session id (128 bits, hex)."""
    return binascii.hexlify(os.urandom(16)).decode()


class SessionManager:
    """Reads the app's session settings once and does the work: the signed
    cookie store. (Server-side stores: :class:`.backends.StoreManager`.)"""

    backend = None  # the server-side store, if any

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

    def claims(self, request):
        """The verified claims of the session cookie of *request* (they
        always have an ``exp``), or None when it is missing, tampered,
        expired or foreign."""
        token = cookie_of(request, self.cookie_name)
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

    async def save(self, request, response):
        """Write the session back if it changed (``after_this_request``)."""
        session = request.session
        if not session.modified:
            return None
        session.modified = False  # saved once, however often this is called
        token = None
        if session:
            now = int(time.time())
            token = encode({'data': session.to_dict(), 'iat': now, 'exp': now + self.max_age,
                            'jti': new_sid()[:16]}, self.keys[0])
        self.write(request, response, token)
        return None

    def write(self, request, response, token):
        """Set the session cookie to *token*, or delete it (None)."""
        if token is None:  # an empty session: the cookie goes
            if cookie_of(request, self.cookie_name) is not None:
                response.delete_cookie(self.cookie_name, path=self.path, domain=self.domain)
            return
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
