"""Sign and verify session tokens: PyJWT on CPython, the portable HS256 of
:mod:`plugdot_sessions._hs256` where PyJWT is missing (MicroPython).

The algorithm is pinned to HS256 (``alg: none`` or any other algorithm is
rejected), ``exp`` is required, and verification accepts any of the keys so
that keys can be rotated: sign with the first, accept all.
"""
from plugdot._compat import MICROPYTHON


class InvalidToken(Exception):
    """The token is malformed, not signed by a known key, or expired."""

_pyjwt = None


def _jwt():
    # PyJWT pulls in http.client and email (~10 ms, ~1 MiB): import it when
    # the first session is signed or read, not when the plugin loads.
    global _pyjwt
    if _pyjwt is None:
        _pyjwt = False
        if not MICROPYTHON:  # a board's `jwt` (micropython-lib's, Microdot's) is not PyJWT
            try:
                import jwt
                _pyjwt = jwt
            except ImportError:
                pass
    return _pyjwt


def sign(payload, key):
    """A JWT (str) for *payload* signed with *key*."""
    if _jwt():
        return _pyjwt.encode(payload, key, algorithm='HS256')
    from . import _hs256
    return _hs256.encode(payload, key)


def verify(token, keys):
    """The payload of *token* if one of *keys* signed it and it has not
    expired; raise InvalidToken otherwise."""
    if not _jwt():
        from . import _hs256
        payload = _hs256.decode(token, keys)
        if 'exp' not in payload:
            raise InvalidToken('no expiry')
        return payload
    for key in keys:
        try:
            return _pyjwt.decode(token, key, algorithms=['HS256'],
                                 options={'require': ['exp']})
        except _pyjwt.InvalidSignatureError:
            continue
        except (_pyjwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc))
    raise InvalidToken('bad signature')


__all__ = ['InvalidToken', 'sign', 'verify']
