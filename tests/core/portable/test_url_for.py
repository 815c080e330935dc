"""``app.url_for(route_name, **args)``: decorator, class-style and mounted routes."""
from plugdot import App
from plugdot.testing import TestClient

from .helpers import make_app, raises, signature


def test_url_for_decorator_routes():
    app = make_app()

    @app.get('/')
    async def index(request):
        return app.url_for('user', id=7, tab='a b')

    @app.get('/users/<int:id>')
    async def user(request, id):
        return 'user'

    @app.get('/files/<path:p>')
    async def files(request, p):
        return 'file'

    @app.route('/re/<re:[a-z]+:word>')
    async def word(request, word):
        return 'word'

    assert app.url_for('index') == '/'
    assert app.url_for('user', id=3) == '/users/3'
    assert app.url_for('files', p='a/b c.txt') == '/files/a/b%20c.txt'
    assert app.url_for('word', word='abc') == '/re/abc'
    assert app.url_for('user', id='x/y', q='é&') == '/users/x%2Fy?q=%C3%A9%26'
    assert TestClient(app).get('/').text == '/users/7?tab=a%20b'
    assert 'needs argument' in str(raises(ValueError, app.url_for, 'user'))
    assert 'no route is named' in str(raises(ValueError, app.url_for, 'nothing'))


def test_url_for_class_routes_and_mounts():
    class Shop(App):
        async def index(self):
            return 'shop'

        async def greet(self, name='Guest'):
            return name
    signature(Shop.greet, 'self', ('name', 'Guest'))

    shop = Shop(plugins=[])
    api = make_app()

    @api.get('/items/<int:id>')
    async def item(request, id):
        return 'item'

    shop.mount(api, '/api')
    assert shop.url_for('index') == '/'
    assert shop.url_for('greet', name='Ann') == '/greet?name=Ann'
    assert shop.url_for('item', id=2) == '/api/items/2'
