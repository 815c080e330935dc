"""plugdot-sessions on CPython: both routing styles, the TestClient, a real
server, the corpus of bad cookies, stores, and PyJWT <-> MicroPython tokens."""
import base64
import json
import subprocess
import time

import httpx
import jwt
import pytest

from plugdot import App, methods
from plugdot.testing import TestClient
from plugdot_sessions import MemoryBackend, SessionTooLarge, _hs256

KEY = 'test-secret-key-0123456789abcdef'
OLD_KEY = 'old-secret-key-0123456789abcdefg'


def make_app(**config):
    config.setdefault('secret_key', KEY)
    app = App(config=config)

    @app.get('/set/<key>/<value>')
    async def set_(request, key, value):
        request.session[key] = value
        return request.session.to_dict()

    @app.get('/get')
    async def get(request):
        return {'data': request.session.to_dict(), 'new': request.session.new}

    @app.get('/plain')
    async def plain(request):
        return 'no session touched'

    @app.get('/clear')
    async def clear(request):
        request.session.clear()
        return 'cleared'

    @app.get('/regenerate')
    async def regenerate(request):
        request.session.regenerate()
        return 'ok'

    @app.get('/big')
    async def big(request):
        request.session['blob'] = 'x' * 5000
        return 'never'

    @app.before_request
    def middleware_reads(request):
        if request.path == '/guarded' and 'user' not in request.session:
            return 'login first', 401

    @app.get('/guarded')
    async def guarded(request):
        return 'hello ' + request.session['user']
    return app


def test_decorator_style_round_trip_and_cookie_attributes():
    c = TestClient(make_app())
    r = c.get('/set/user/ann')
    cookie = r.headers['set-cookie']
    assert cookie.startswith('session=') and 'HttpOnly' in cookie and 'SameSite=Lax' in cookie
    assert 'Max-Age=1209600' in cookie and 'Secure' not in cookie
    assert c.get('/get').json() == {'data': {'user': 'ann'}, 'new': False}
    assert c.get('/guarded').text == 'hello ann'  # read in a before_request (middleware)


def test_unchanged_or_unused_session_sends_no_cookie():
    c = TestClient(make_app())
    c.get('/set/a/1')
    assert 'set-cookie' not in c.get('/get').headers
    assert 'set-cookie' not in c.get('/plain').headers


def test_clear_deletes_the_cookie_and_regenerate_issues_a_new_token():
    c = TestClient(make_app())
    c.get('/set/a/1')
    first = c.cookies['session']
    c.get('/regenerate')
    assert c.cookies['session'] != first
    assert c.get('/get').json()['data'] == {'a': '1'}
    r = c.get('/clear')
    assert 'Max-Age=0' in r.headers['set-cookie'] and 'session' not in c.cookies


def test_class_style_and_flash():
    class Site(App):
        @methods('POST')
        async def login(self, user):
            self.request.session['user'] = user
            self.request.session.flash('welcome')
            return 'in'

        async def me(self):
            return {'user': self.request.session.get('user'),
                    'flashes': self.request.session.get_flashed_messages()}

    c = TestClient(Site(config={'secret_key': KEY}))
    c.post('/login', form={'user': 'bob'})
    assert c.get('/me').json() == {'user': 'bob', 'flashes': ['welcome']}
    assert c.get('/me').json() == {'user': 'bob', 'flashes': []}


def test_session_values_never_bind_class_arguments():
    class Site(App):
        async def greet(self, user='nobody'):
            return user

        async def login(self):
            self.request.session['user'] = 'admin'
            return 'ok'

    c = TestClient(Site(config={'secret_key': KEY}))
    c.get('/login')
    assert c.get('/greet').text == 'nobody'


def test_key_rotation():
    c = TestClient(make_app(secret_key=OLD_KEY))
    c.get('/set/a/1')
    rotated = TestClient(make_app(secret_key=KEY, secret_key_fallbacks=[OLD_KEY]))
    rotated.cookies.update(c.cookies)
    assert rotated.get('/get').json()['data'] == {'a': '1'}
    rotated.get('/set/b/2')  # re-signed with the new key
    assert jwt.decode(rotated.cookies['session'], KEY, algorithms=['HS256'])['data'] == {'a': '1', 'b': '2'}


def test_secure_flag_auto_and_configured():
    r = TestClient(make_app(), scheme='https').get('/set/a/1')
    assert 'Secure' in r.headers['set-cookie']
    r = TestClient(make_app(session_cookie_secure='true')).get('/set/a/1')
    assert 'Secure' in r.headers['set-cookie']
    r = TestClient(make_app(session_cookie_secure='false'), scheme='https').get('/set/a/1')
    assert 'Secure' not in r.headers['set-cookie']


def test_oversized_cookie_is_a_clear_error(caplog):
    r = TestClient(make_app()).get('/big')
    assert r.status_code == 500 and 'set-cookie' not in r.headers
    assert any('browsers drop cookies over 4096' in str(rec.exc_info[1]) for rec in caplog.records
               if rec.exc_info)
    assert issubclass(SessionTooLarge, Exception)


def test_missing_secret_is_a_clear_error(caplog):
    app = App()

    @app.get('/')
    async def index(request):
        return str(request.session.get('x'))

    assert TestClient(app).get('/').status_code == 500
    assert any('secret_key' in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)
    store_app = App(config={'session_backend': 'memory'})
    with pytest.raises(RuntimeError, match='secret_key'):
        with TestClient(store_app):
            pass


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b'=').decode()


def bad_cookies():
    now = int(time.time())
    good = jwt.encode({'data': {'user': 'ann'}, 'exp': now + 60}, KEY, algorithm='HS256')
    h, p, s = good.split('.')
    return [
        ('empty', ''),
        ('garbage', 'not-a-token'),
        ('two parts', h + '.' + p),
        ('four parts', good + '.x'),
        ('flipped signature', h + '.' + p + '.' + s[:-2] + ('AA' if s[-2:] != 'AA' else 'BB')),
        ('no signature', h + '.' + p + '.'),
        ('alg none', b64({'alg': 'none', 'typ': 'JWT'}) + '.' + p + '.'),
        ('alg HS512', jwt.encode({'data': {'user': 'x'}, 'exp': now + 60}, KEY, algorithm='HS512')),
        ('alg HS384', jwt.encode({'data': {'user': 'x'}, 'exp': now + 60}, KEY, algorithm='HS384')),
        ('foreign key', jwt.encode({'data': {'user': 'x'}, 'exp': now + 60}, 'another-key-' * 3, algorithm='HS256')),
        ('expired', jwt.encode({'data': {'user': 'x'}, 'exp': now - 10}, KEY, algorithm='HS256')),
        ('no exp', jwt.encode({'data': {'user': 'x'}}, KEY, algorithm='HS256')),
        ('payload swapped', h + '.' + b64({'data': {'user': 'admin'}, 'exp': now + 60}) + '.' + s),
        ('data not a dict', jwt.encode({'data': ['x'], 'exp': now + 60}, KEY, algorithm='HS256')),
        ('no data', jwt.encode({'exp': now + 60}, KEY, algorithm='HS256')),
        ('bad base64', '!!!.@@@.###'),
        ('json not object', b64([1, 2]) + '.' + b64([3]) + '.' + s),
        ('header not json', 'e30x.' + p + '.' + s),
        ('unicode', 'sessi\u00f6n.\u2603.x'),
        ('huge', 'a' * 5000),
        ('exp string', jwt.encode({'data': {'u': 1}, 'exp': 'tomorrow'}, KEY, algorithm='HS256')
         if False else h + '.' + b64({'data': {'u': 1}, 'exp': 'tomorrow'}) + '.' + s),
        ('server-side id in a cookie store', jwt.encode({'sid': 'abc', 'exp': now + 60}, KEY, algorithm='HS256')),
    ]


@pytest.mark.parametrize('name,cookie', bad_cookies())
def test_bad_cookies_give_an_empty_session_never_an_error(name, cookie):
    c = TestClient(make_app())
    c.cookies['session'] = cookie
    r = c.get('/get')
    assert r.status_code == 200 and r.json() == {'data': {}, 'new': True}, name
    r = c.get('/set/a/1')  # and the bad cookie is replaced on the next write
    assert r.status_code == 200 and c.get('/get').json()['data'] == {'a': '1'}


def test_at_least_twenty_bad_cookies():
    assert len(bad_cookies()) >= 20


def test_memory_store_no_fixation_and_shared_ids():
    backend = MemoryBackend(max_entries=100)
    app = make_app(session_backend=backend)
    c = TestClient(app)
    c.get('/set/user/ann')
    claims = jwt.decode(c.cookies['session'], KEY, algorithms=['HS256'])
    assert set(claims) == {'sid', 'exp'} and claims['sid'] in backend.entries
    assert c.get('/get').json()['data'] == {'user': 'ann'}
    # a signed id the store does not know is not adopted
    attacker = TestClient(app)
    attacker.cookies['session'] = jwt.encode({'sid': 'chosen-by-attacker', 'exp': int(time.time()) + 60},
                                             KEY, algorithm='HS256')
    attacker.get('/set/x/1')
    new_sid = jwt.decode(attacker.cookies['session'], KEY, algorithms=['HS256'])['sid']
    assert new_sid != 'chosen-by-attacker' and 'chosen-by-attacker' not in backend.entries
    old_sid = claims['sid']
    c.get('/regenerate')
    assert old_sid not in backend.entries and len(backend.entries) == 2
    c.get('/clear')
    assert len(backend.entries) == 1


def test_memory_store_is_bounded_and_expires():
    import asyncio
    backend = MemoryBackend(max_entries=3)

    async def run():
        for i in range(5):
            await backend.save('s%d' % i, {'i': i}, 60)
        await backend.save('short', {'x': 1}, -1)
        return len(backend.entries), await backend.load('short'), await backend.load('s4')
    count, expired, last = asyncio.run(run())
    assert count <= 3 and expired is None and last == {'i': 4}


def test_end_to_end_under_hypercorn(serve_cli):
    base = serve_cli('examples/sessions_app.py:app')
    with httpx.Client(base_url=base, timeout=10) as c:
        assert [c.get('/').json()['visits'] for _ in range(3)] == [1, 2, 3]
        c.post('/login', data={'user': 'ann'})
        assert c.get('/whoami').json() == {'user': 'ann', 'messages': ['welcome, ann']}
        c.post('/logout')
        assert c.get('/whoami').json() == {'user': None, 'messages': []}


def run_micropython(code):
    from support import ROOT, micropython
    prelude = ('import sys\nsys.path.insert(0, %r)\nsys.path.insert(0, %r)\n'
               % (str(ROOT / 'packages' / 'core' / 'src'), str(ROOT / 'packages' / 'sessions' / 'src')))
    out = subprocess.run([micropython(), '-c', prelude + code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.strip()


def test_tokens_cross_between_pyjwt_and_micropython():
    token = jwt.encode({'data': {'from': 'cpython'}, 'exp': int(time.time()) + 60}, KEY, algorithm='HS256')
    out = run_micropython('from plugdot_sessions import _hs256\n'
                          'print(_hs256.decode(%r, [%r])["data"]["from"])' % (token, KEY))
    assert out == 'cpython'
    token = run_micropython('import time\nfrom plugdot_sessions import _hs256\n'
                            'print(_hs256.encode({"data": {"from": "micropython"}, '
                            '"exp": int(time.time()) + 60}, %r))' % KEY)
    assert jwt.decode(token, KEY, algorithms=['HS256'])['data'] == {'from': 'micropython'}
    assert _hs256.decode(token, [KEY])['data'] == {'from': 'micropython'}
    forged = run_micropython('from plugdot_sessions import _hs256\n'
                             'print(_hs256.encode({"exp": 9999999999}, "wrong-key"))')
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, KEY, algorithms=['HS256'])


def test_cookies_are_standard_jwts_both_ways():
    # plugdot's cookie is verified by PyJWT ...
    c = TestClient(make_app())
    c.get('/set/user/ann')
    claims = jwt.decode(c.cookies['session'], KEY, algorithms=['HS256'], options={'require': ['exp']})
    assert claims['data'] == {'user': 'ann'} and claims['exp'] > time.time()
    assert jwt.get_unverified_header(c.cookies['session']) == {'alg': 'HS256', 'typ': 'JWT'}
    # ... and a token PyJWT made (with any header PyJWT writes) is read by plugdot
    now = int(time.time())
    for headers in (None, {'kid': 'k1'}):
        fresh = TestClient(make_app())
        fresh.cookies['session'] = jwt.encode({'data': {'user': 'bob'}, 'exp': now + 60}, KEY,
                                              algorithm='HS256', headers=headers)
        assert fresh.get('/get').json() == {'data': {'user': 'bob'}, 'new': False}


def test_malleable_spellings_of_a_valid_token_are_rejected():
    now = int(time.time())
    good = jwt.encode({'data': {'user': 'ann'}, 'exp': now + 60}, KEY, algorithm='HS256')
    h, p, s = good.split('.')
    for bad in (good + '=', good + '==', h + '.' + p + '.' + s[:4] + '!' + s[4:], h + '=.' + p + '.' + s,
                h + '.' + p + '.' + s[:-1] + ('A' if s[-1] != 'A' else 'B')):
        c = TestClient(make_app())
        c.cookies['session'] = bad
        assert c.get('/get').json() == {'data': {}, 'new': True}, bad


class CountingBackend(MemoryBackend):
    def __init__(self, *args):
        super().__init__(*args)
        self.saves = 0

    async def save(self, sid, data, timeout):
        self.saves += 1
        await super().save(sid, data, timeout)


def store_app(backend):
    app = make_app(session_backend=backend)

    @app.before_request
    def mark_visit(request):
        if request.path == '/visit':
            request.session['visits'] = request.session.get('visits', 0) + 1

    @app.get('/visit')
    async def visit(request):
        return {'visits': request.session['visits']}
    return app


def test_store_before_request_sees_and_writes_the_session_and_saves_once():
    backend = CountingBackend(100)
    c = TestClient(store_app(backend))
    c.get('/set/user/ann')
    assert backend.saves == 1
    assert c.get('/guarded').text == 'hello ann'  # a before_request reads the stored session
    assert backend.saves == 1  # nothing changed: nothing saved
    assert [c.get('/visit').json()['visits'] for _ in range(3)] == [1, 2, 3]  # written in before_request
    assert backend.saves == 4  # once per request that changed it
    assert c.get('/get').json()['data'] == {'user': 'ann', 'visits': 3}


def test_store_cookie_is_signed_only_for_a_new_id():
    app = make_app(session_backend='memory')
    c = TestClient(app)
    first = c.get('/set/a/1')
    assert 'set-cookie' in first.headers
    token = c.cookies['session']
    r = c.get('/set/b/2')  # data changed, same id: the cookie needs no new signature
    assert 'set-cookie' not in r.headers and c.get('/get').json()['data'] == {'a': '1', 'b': '2'}
    r = c.get('/regenerate')  # a new id: a new cookie
    assert 'set-cookie' in r.headers and c.cookies['session'] != token
    # a cookie past half its lifetime is renewed by the next change
    short = TestClient(make_app(session_backend='memory', session_max_age=100))
    short.get('/set/a/1')
    sid = jwt.decode(short.cookies['session'], KEY, algorithms=['HS256'])['sid']
    short.cookies['session'] = jwt.encode({'sid': sid, 'exp': int(time.time()) + 40}, KEY, algorithm='HS256')
    r = short.get('/set/b/2')
    assert 'set-cookie' in r.headers
    assert jwt.decode(short.cookies['session'], KEY, algorithms=['HS256'])['exp'] >= int(time.time()) + 99


def test_anonymous_requests_do_not_evict_a_logged_in_user():
    backend = MemoryBackend(max_entries=100)
    app = make_app(session_backend=backend)
    user = TestClient(app)
    user.get('/set/user/ann')
    for _ in range(150):  # anonymous visitors who only read: nothing stored
        assert TestClient(app).get('/get').json() == {'data': {}, 'new': True}
    assert len(backend.entries) == 1
    for i in range(150):  # visitors who write: the least recently used go first
        TestClient(app).get('/set/x/%d' % i)
        if i % 50 == 0:
            assert user.get('/guarded').text == 'hello ann'
    assert len(backend.entries) == 100
    assert user.get('/guarded').text == 'hello ann'


def test_sessions_in_a_mounted_app_use_the_served_apps_settings():
    outer = App(config={'secret_key': KEY}, plugins=['plugdot_sessions'])
    shop = App(plugins=['plugdot_sessions'])   # no secret_key of its own
    blog = App(plugins=['plugdot_sessions'])

    @shop.get('/add/<item>')
    async def add(request, item):
        request.session['cart'] = request.session.get('cart', []) + [item]
        return {'cart': request.session['cart']}

    @blog.get('/cart')
    async def cart(request):
        return {'cart': request.session.get('cart', [])}

    outer.mount(shop, '/shop')
    outer.mount(blog, '/blog')
    c = TestClient(outer)
    assert c.get('/shop/add/tea').json() == {'cart': ['tea']}
    assert c.get('/shop/add/milk').json() == {'cart': ['tea', 'milk']}
    assert c.get('/blog/cart').json() == {'cart': ['tea', 'milk']}  # one session, one cookie
    assert list(c.cookies) == ['session']
