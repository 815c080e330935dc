"""Sign and verify session tokens: JWT with HS256 only, the tokens PyJWT
makes and verifies (base64url without padding, compact JSON, header
``{"alg":"HS256","typ":"JWT"}``), portable to MicroPython.

On CPython the HMAC and the comparison are the standard library's C code
(``hmac.digest``, ``hmac.compare_digest``): a token is signed or verified
in a few microseconds, several times faster than PyJWT. On MicroPython a
small HMAC-SHA256 over ``hashlib`` does the same work.

Only HS256 headers are accepted (``alg: none`` or any other algorithm is
rejected), signatures are compared in constant time, an ``exp`` claim in
the past is rejected, and decoding accepts any of the keys so that keys can
be rotated: sign with the first, accept all. The signature is compared in its
encoded form, so exactly one spelling of it is accepted: no padding, no
characters outside the base64url alphabet, no other bits in its last
character (header and payload are covered by the signature byte for byte).
"""
import binascii
import hashlib
import json
import time

from plugdot._compat import MICROPYTHON, json_dumps


class InvalidToken(Exception):
    """The token is malformed, not signed by a known key, or expired."""


def _b64encode(data):
    return binascii.b2a_base64(data, newline=False).rstrip(b'=').replace(b'+', b'-') \
        .replace(b'/', b'_')


def _b64decode(text):
    text = text.replace(b'-', b'+').replace(b'_', b'/')
    try:
        return binascii.a2b_base64(text + b'=' * (-len(text) % 4))
    except ValueError:  # binascii.Error is a ValueError (MicroPython has only the latter)
        raise InvalidToken('bad base64url')


#: The encoded header of every token made here, and of PyJWT's (it sorts the keys).
_HEADER = _b64encode(b'{"alg":"HS256","typ":"JWT"}')


def hmac_sha256(key, message):
    """HMAC-SHA256 of *message* under *key* (RFC 2104)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    # One pad, changed in place (a board's heap is small): the key XOR 0x36
    # ('6') for the inner hash, then XOR 0x5c for the outer one.
    pad = bytearray(b'6' * 64)
    for i in range(len(key)):
        pad[i] ^= key[i]
    inner = hashlib.sha256(pad)
    inner.update(message)
    inner = inner.digest()  # the inner hash's state goes before the outer one comes
    for i in range(64):
        pad[i] ^= 0x6a  # 0x36 ^ 0x5c
    outer = hashlib.sha256(pad)
    outer.update(inner)
    return outer.digest()


def equal(data, other):
    """Compare two byte strings in time that does not depend on where they differ."""
    if len(data) != len(other):
        return False
    result = 0
    for i in range(len(data)):
        result |= data[i] ^ other[i]
    return result == 0


if not MICROPYTHON:  # the same, in C
    import hmac as _hmac

    def hmac_sha256(key, message):
        """HMAC-SHA256 of *message* under *key*."""
        return _hmac.digest(key, message, 'sha256')
    equal = _hmac.compare_digest


def encode(claims, key):
    """Sign *claims* (a dict) with *key*; return the token as str."""
    # Joined, not added up: a + b + c copies twice (heap on a board)
    signing_input = b'.'.join((_HEADER, _b64encode(json_dumps(claims).encode())))
    return b'.'.join((signing_input, _b64encode(hmac_sha256(
        key.encode() if isinstance(key, str) else key, signing_input)))).decode()


def decode(token, keys):
    """Verify *token* with any of *keys*; return its payload or raise InvalidToken."""
    if isinstance(token, str):
        try:
            token = token.encode()
        except UnicodeError:
            raise InvalidToken('token not ASCII')
    parts = token.split(b'.')
    if len(parts) != 3:
        raise InvalidToken('not a compact JWT')
    if parts[0] != _HEADER:  # the usual header needs no parsing
        from plugdot.jsonlimit import loads  # only for such headers: PyJWT makes none
        try:  # parsed before the signature is checked: nesting bounded (a header is flat)
            header = loads(_b64decode(parts[0]), 4)
        except (ValueError, UnicodeError):
            raise InvalidToken('bad JWT header')
        if not isinstance(header, dict) or header.get('alg') != 'HS256':
            raise InvalidToken('algorithm must be HS256')
    signing_input = token[:len(parts[0]) + 1 + len(parts[1])]
    signature = parts[2]
    for k in keys:
        if equal(_b64encode(hmac_sha256(k.encode() if isinstance(k, str) else k, signing_input)),
                 signature):
            break
    else:
        raise InvalidToken('bad signature')
    try:
        payload = json.loads(_b64decode(parts[1]).decode())
    except (ValueError, UnicodeError):
        raise InvalidToken('bad payload')
    if not isinstance(payload, dict):
        raise InvalidToken('payload is not an object')
    exp = payload.get('exp')
    if exp is not None and (not isinstance(exp, int) or exp <= time.time()):
        raise InvalidToken('token expired')
    return payload
