"""The TestClient itself: query building, cookies, JSON helpers."""
from plugdot import Response
from plugdot.testing import TestClient

from .helpers import make_app


def test_query_headers_and_default_headers():
    app = make_app()

    @app.get('/q')
    async def q(request):
        return {'q': dict((k, request.query[k]) for k in request.query), 'h': request.headers.get('x-default')}

    c = TestClient(app, headers={'X-Default': 'd'})
    assert c.get('/q?a=1', query={'b': 'two words'}).json() == {'q': {'a': '1', 'b': 'two words'},
                                                                 'h': 'd'}


def test_cookie_jar_round_trip_and_expiry():
    app = make_app()

    @app.get('/login')
    async def login(request):
        r = Response('in')
        r.set_cookie('user', 'ann')
        return r

    @app.get('/me')
    async def me(request):
        return request.cookies.get('user', 'nobody')

    @app.get('/logout')
    async def logout(request):
        r = Response('out')
        r.delete_cookie('user')
        return r

    c = TestClient(app)
    assert c.get('/me').text == 'nobody'
    c.get('/login')
    assert c.cookies == {'user': 'ann'} and c.get('/me').text == 'ann'
    c.get('/logout')
    assert c.cookies == {} and c.get('/me').text == 'nobody'


def test_all_methods():
    app = make_app()

    @app.route('/m', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
    async def m(request):
        return request.method

    c = TestClient(app)
    assert [c.get('/m').text, c.post('/m').text, c.put('/m').text, c.patch('/m').text,
            c.delete('/m').text] == ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
