"""Sign and verify session tokens: standard HS256 JWTs (PyJWT makes and
verifies the same tokens), by :mod:`plugdot_sessions._hs256` on every
interpreter.

The algorithm is pinned to HS256 (``alg: none`` or any other algorithm is
rejected), ``exp`` is required, and verification accepts any of the keys so
that keys can be rotated: sign with the first, accept all.
"""


class InvalidToken(Exception):
    """The token is malformed, not signed by a known key, or expired."""


_hs256 = None


def _jwt():
    # Imported with the first session, not with the plugin: hmac and
    # hashlib cost import time to apps that never use a session.
    global _hs256
    if _hs256 is None:
        from . import _hs256 as module
        _hs256 = module
    return _hs256


def sign(payload, key):
    """A JWT (str) for *payload* signed with *key*."""
    return (_hs256 or _jwt()).encode(payload, key)


def verify(token, keys):
    """The payload of *token* if one of *keys* signed it and it has not
    expired; raise InvalidToken otherwise."""
    payload = (_hs256 or _jwt()).decode(token, keys)
    if 'exp' not in payload:
        raise InvalidToken('no expiry')
    return payload


__all__ = ['InvalidToken', 'sign', 'verify']
