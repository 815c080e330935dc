"""A session token's JWT header is parsed before its signature is checked:
its nesting is bounded, so a deep one is a bad token, not a RecursionError
or a full heap. Portable: runs under CPython and MicroPython."""
from plugdot_sessions import _hs256
InvalidToken = _hs256.InvalidToken

KEY = 'k' * 32


def test_a_deeply_nested_jwt_header_is_a_bad_token():
    token = _hs256.encode({'data': {}}, KEY)
    signature = token.split('.', 1)[1]
    for depth, ok in ((3, True), (5, False), (20000, False)):
        header = b'{"alg":"HS256","x":' + b'[' * depth + b']' * depth + b'}'
        forged = _hs256._b64encode(header).decode() + '.' + signature
        try:
            _hs256.decode(forged, [KEY])
        except InvalidToken as exc:
            reason = str(exc)
        else:
            raise AssertionError('a forged header was accepted')
        # within the limit the header parses and the signature is what fails
        assert reason == ('bad signature' if ok else 'bad JWT header'), (depth, reason)
