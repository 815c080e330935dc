"""Sign and verify session tokens: PyJWT on CPython, the portable HS256 of
:mod:`plugdot_sessions._hs256` where PyJWT is missing (MicroPython).

The algorithm is pinned to HS256 (``alg: none`` or any other algorithm is
rejected), ``exp`` is required, and verification accepts any of the keys so
that keys can be rotated: sign with the first, accept all.
"""
from ._hs256 import InvalidToken

try:
    import jwt as _pyjwt
except ImportError:
    _pyjwt = None
    from . import _hs256


def sign(payload, key):
    """A JWT (str) for *payload* signed with *key*."""
    if _pyjwt is not None:
        return _pyjwt.encode(payload, key, algorithm='HS256')
    return _hs256.encode(payload, key)


def verify(token, keys):
    """The payload of *token* if one of *keys* signed it and it has not
    expired; raise InvalidToken otherwise."""
    if _pyjwt is None:
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
