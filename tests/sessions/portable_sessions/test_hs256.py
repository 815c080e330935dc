"""The portable HS256 JWT, session object and cookie path (CPython and MicroPython)."""
import time

from plugdot import App
from plugdot.testing import TestClient
from plugdot_sessions import Session, _hs256

KEY = 'k' * 32


def test_round_trip_and_rotation():
    token = _hs256.encode({'data': {'a': 1}, 'exp': int(time.time()) + 60}, KEY)
    assert _hs256.decode(token, [KEY])['data'] == {'a': 1}
    assert _hs256.decode(token, ['new-key' * 5, KEY])['data'] == {'a': 1}
    for bad in (['other' * 8], []):
        try:
            _hs256.decode(token, bad)
        except _hs256.InvalidToken:
            pass
        else:
            raise AssertionError('a token signed by another key must be rejected')


def test_hmac_matches_rfc4231_case_2():
    mac = _hs256.hmac_sha256(b'Jefe', b'what do ya want for nothing?')
    expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    import binascii
    assert binascii.hexlify(mac).decode() == expected


def test_constant_time_equal():
    assert _hs256.equal(b'abc', b'abc')
    assert not _hs256.equal(b'abc', b'abd') and not _hs256.equal(b'abc', b'ab')


def test_expired_and_alg_none_rejected():
    expired = _hs256.encode({'exp': int(time.time()) - 1}, KEY)
    none_alg = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjk5OTk5OTk5OTl9.'
    for token in (expired, none_alg, 'a.b', 'a.b.c', '', '...', 'x' * 100):
        try:
            _hs256.decode(token, [KEY])
        except _hs256.InvalidToken:
            continue
        raise AssertionError('accepted %r' % token)


def test_session_tracks_changes_and_flashes():
    s = Session({'a': 1}, new=False)
    assert not s.modified and s['a'] == 1
    s.get('a')
    assert not s.modified
    s['b'] = 2
    assert s.modified
    s = Session()
    s.flash('hi')
    s.flash('oops', 'error')
    assert s.get_flashed_messages(with_categories=True) == [('message', 'hi'), ('error', 'oops')]
    assert s.get_flashed_messages() == [] and '_flashes' not in s


def test_cookie_session_in_a_portable_app():
    app = App(config={'secret_key': KEY}, plugins=['plugdot_sessions'])

    @app.get('/count')
    async def count(request):
        request.session['n'] = request.session.get('n', 0) + 1
        return str(request.session['n'])

    @app.get('/peek')
    async def peek(request):
        return str(request.session.get('n'))

    client = TestClient(app)
    assert [client.get('/count').text for _ in range(3)] == ['1', '2', '3']
    assert client.get('/peek').text == '3'
    client.cookies['session'] = client.cookies['session'][:-2] + 'xx'  # tampered
    assert client.get('/peek').text == 'None'


def test_exactly_one_spelling_of_the_signature():
    # Padding, characters outside base64url, the standard alphabet or other
    # bits in the last character would make the same signature: malleable.
    token = _hs256.encode({'data': {'a': 1}, 'exp': int(time.time()) + 60}, KEY)
    head, sig = token.rsplit('.', 1)
    last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    sibling = last[last.index(sig[-1]) ^ 1]  # differs only in the low (unused) bits
    variants = [token + '=', token + '==', token + '===', token + ' ', head + '.' + sig[:5] + '!' + sig[5:],
                head + '.' + sig[:5] + '\n' + sig[5:], head + '.' + sig[:-1] + sibling,
                head + '.' + sig.replace('-', '+').replace('_', '/') if ('-' in sig or '_' in sig)
                else head + '.' + sig + '=' * 4]
    assert _hs256.decode(token, [KEY])['data'] == {'a': 1}
    for bad in variants:
        try:
            _hs256.decode(bad, [KEY])
        except _hs256.InvalidToken:
            continue
        raise AssertionError('accepted %r' % bad)


def test_payload_and_header_are_signed_byte_for_byte():
    token = _hs256.encode({'exp': int(time.time()) + 60}, KEY)
    head, payload, sig = token.split('.')
    for bad in (head + '=.' + payload + '.' + sig, head + '.' + payload + '=.' + sig,
                head + '.' + payload[:3] + '!' + payload[3:] + '.' + sig):
        try:
            _hs256.decode(bad, [KEY])
        except _hs256.InvalidToken:
            continue
        raise AssertionError('accepted %r' % bad)



def test_three_parts_and_another_header_spelling():
    # exactly three parts; the usual header compared as it is, any other
    # parsed (and signed byte for byte)
    token = _hs256.encode({'data': {'a': 1}, 'exp': int(time.time()) + 60}, KEY)
    head, payload, sig = token.split('.')
    for bad in (token + '.', '.' + token, token + '.x', head + '.' + payload + sig,
                head + 'x.' + payload + '.' + sig, head[:-1] + '.' + payload + '.' + sig):
        try:
            _hs256.decode(bad, [KEY])
        except _hs256.InvalidToken:
            continue
        raise AssertionError('accepted %r' % bad)
    # another spelling of an HS256 header, signed: accepted (as PyJWT's own)
    other = _hs256._b64encode(b'{"typ":"JWT","alg":"HS256"}')
    signing_input = other + b'.' + payload.encode()
    resigned = (signing_input + b'.' + _hs256._b64encode(
        _hs256.hmac_sha256(KEY.encode(), signing_input))).decode()
    assert _hs256.decode(resigned, [KEY])['data'] == {'a': 1}
    assert _hs256.decode(resigned.encode(), [KEY])['data'] == {'a': 1}


def test_the_session_cookie_among_others_as_request_cookies_reads_it():
    # The manager reads the raw Cookie header with the core's parser (not
    # request.cookies): the same value, whatever else the header carries.
    app = App(config={'secret_key': KEY}, plugins=['plugdot_sessions'])

    @app.get('/count')
    async def count(request):
        request.session['n'] = request.session.get('n', 0) + 1
        return str(request.session['n'])

    @app.get('/both')
    async def both(request):
        return '%s %s' % (request.session.get('n'), request.cookies.get('b'))

    @app.get('/clear')
    async def clear(request):
        request.session.clear()
        return 'cleared'

    client = TestClient(app)
    assert client.get('/count').text == '1'
    token = client.cookies.pop('session')
    for header in ('a=1; session=%s; b=2' % token, 'session="%s"; b=2' % token,
                   'b=2;session=%s' % token, 'session=%s; session=other; b=2' % token):
        assert client.get('/both', headers={'Cookie': header}).text == '1 2', header
    assert client.get('/both', headers={'Cookie': 'a=1; b=2'}).text == 'None 2'
    assert client.get('/both', headers={'Cookie': 'session=other; session=%s; b=2' % token}
                      ).text == 'None 2'  # the first one counts, as in request.cookies
    r = client.get('/clear', headers={'Cookie': 'a=1; session=%s' % token})
    assert r.headers.getlist('set-cookie')[0].startswith('session=; ')  # deleted
    assert client.get('/clear', headers={'Cookie': 'a=1'}).headers.getlist('set-cookie') == []
