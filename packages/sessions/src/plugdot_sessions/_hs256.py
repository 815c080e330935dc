"""A small, portable JWT (HS256 only) for MicroPython, where PyJWT is not
available. Same tokens as PyJWT: base64url without padding, compact JSON.

Only ``{"alg": "HS256", "typ": "JWT"}`` headers are accepted, signatures are
compared in constant time, and an ``exp`` claim in the past is rejected.
"""
import binascii
import hashlib
import json
import time


from plugdot.jsonlimit import loads

from .signer import InvalidToken  # noqa: E402  one exception for both signers

_MAX_HEADER_DEPTH = 4  # deeper is refused as a bad header, before any JSON parsing


_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def _b64encode(data):
    return binascii.b2a_base64(data).rstrip(b'\n=').replace(b'+', b'-').replace(b'/', b'_')


def _b64decode(text):
    text = text.replace(b'-', b'+').replace(b'_', b'/')
    try:
        return binascii.a2b_base64(text + b'=' * (-len(text) % 4))
    except ValueError:  # binascii.Error is a ValueError (MicroPython has only the latter)
        raise InvalidToken('bad base64')


def hmac_sha256(key, message):
    """HMAC-SHA256 of *message* under *key* (RFC 2104)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + b'\x00' * (64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(message)
    outer = hashlib.sha256(bytes(b ^ 0x5c for b in key))
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """Compare two byte strings in time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    result = 0
    for i in range(len(a)):
        result |= a[i] ^ b[i]
    return result == 0


def _key(key):
    return key.encode() if isinstance(key, str) else key


def encode(payload, key):
    """Sign *payload* (a dict) with *key*; return the token as str."""
    body = json.dumps(payload, separators=(',', ':')).encode()
    signing_input = _b64encode(_HEADER) + b'.' + _b64encode(body)
    return (signing_input + b'.' + _b64encode(hmac_sha256(_key(key), signing_input))).decode()


def decode(token, keys):
    """Verify *token* with any of *keys*; return its payload or raise InvalidToken."""
    if isinstance(token, str):
        try:
            token = token.encode()
        except UnicodeError:
            raise InvalidToken('not ASCII')
    parts = token.split(b'.')
    if len(parts) != 3:
        raise InvalidToken('not a JWT')
    try:  # parsed before the signature is checked: nesting bounded (a header is flat)
        header = loads(_b64decode(parts[0]), _MAX_HEADER_DEPTH)
    except (ValueError, UnicodeError):
        raise InvalidToken('bad header')
    if not isinstance(header, dict) or header.get('alg') != 'HS256':
        raise InvalidToken('algorithm must be HS256')
    signing_input = parts[0] + b'.' + parts[1]
    signature = _b64decode(parts[2])
    if not any(equal(hmac_sha256(_key(k), signing_input), signature) for k in keys):
        raise InvalidToken('bad signature')
    try:
        payload = json.loads(_b64decode(parts[1]))
    except (ValueError, UnicodeError):
        raise InvalidToken('bad payload')
    if not isinstance(payload, dict):
        raise InvalidToken('payload is not an object')
    exp = payload.get('exp')
    if exp is not None and (not isinstance(exp, int) or exp <= time.time()):
        raise InvalidToken('expired')
    return payload
