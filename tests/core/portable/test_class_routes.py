"""Class-style routes: public methods, binding, 400 on missing arguments."""
from plugdot import App, methods
from plugdot.testing import TestClient

from .helpers import MICROPYTHON, raises, signature, REQUIRED


class Shop(App):
    """A class-style app."""

    async def index(self):
        return 'index'

    async def greet(self, name='Guest'):
        return 'Hello ' + name

    async def add(self, a: int, b: int = 10):
        return {'sum': a + b}

    def sync_echo(self, text):
        return {'text': text, 'method': self.request.method}

    @methods('POST')
    async def buy(self, item, qty: int = 1):
        return {'item': item, 'qty': qty}

    async def parts(self, *segments):
        return {'segments': list(segments)}

    async def _private(self):
        return 'secret'


signature(Shop.greet, ('name', 'Guest'))
signature(Shop.add, 'a', ('b', 10))
signature(Shop.sync_echo, 'text')
signature(Shop.buy, 'item', ('qty', 1))
signature(Shop.parts, '*segments')


def shop():
    return Shop(plugins=[])


def test_index_and_path_segments_bind_positionally():
    client = TestClient(shop())
    assert client.get('/').text == 'index'
    assert client.get('/greet/Ann').text == 'Hello Ann'
    assert client.get('/greet').text == 'Hello Guest'
    assert client.get('/parts/a/b/c').json() == {'segments': ['a', 'b', 'c']}


def test_query_form_and_json_bind_by_name():
    client = TestClient(shop())
    assert client.get('/greet?name=Bob').text == 'Hello Bob'
    assert client.post('/greet', form={'name': 'Form'}).text == 'Hello Form'
    assert client.post('/greet', json={'name': 'Json'}).text == 'Hello Json'
    assert client.post('/buy', json={'item': 'kettle', 'qty': 3}).json() == {'item': 'kettle', 'qty': 3}


def test_missing_required_argument_is_400_naming_it():
    r = TestClient(shop()).get('/sync_echo')
    assert r.status_code == 400
    assert "'text'" in r.text


def test_sync_method_and_self_request():
    r = TestClient(shop()).get('/sync_echo/hi')
    assert r.json() == {'text': 'hi', 'method': 'GET'}


def test_extra_segments_are_404_and_private_methods_hidden():
    client = TestClient(shop())
    assert client.get('/greet/a/b').status_code == 404
    assert client.get('/_private').status_code == 404
    assert client.get('/nothing').status_code == 404


def test_methods_restriction_and_default_get_post():
    client = TestClient(shop())
    r = client.get('/buy/kettle')
    assert r.status_code == 405 and 'POST' in r.headers['allow']
    assert client.put('/greet').status_code == 405


def test_self_request_outside_a_request_is_an_error():
    app = shop()
    try:
        assert app.request is None
    except RuntimeError:
        return
    raise AssertionError('self.request outside a request must fail')


def test_decorator_routes_mix_with_class_routes():
    app = shop()

    @app.get('/greet/special')
    async def special(request):
        return 'decorated'

    client = TestClient(app)
    assert client.get('/greet/special').text == 'decorated'
    assert client.get('/greet/Zed').text == 'Hello Zed'


def test_values_never_bind_from_cookies():
    client = TestClient(shop())
    client.cookies['name'] = 'FromCookie'
    assert client.get('/greet').text == 'Hello Guest'
    assert REQUIRED is not None


class Flags(App):
    async def item(self, id, *, flag='no'):
        return {'id': id, 'flag': flag}

    async def tagged(self, *tags, sep='-'):
        return sep.join(tags)


signature(Flags.item, 'id', '*', ('flag', 'no'))
signature(Flags.tagged, '*tags', ('sep', '-'))


def test_keyword_only_parameters_bind_by_name():
    client = TestClient(Flags(plugins=[]))
    assert client.get('/item/1').json() == {'id': '1', 'flag': 'no'}
    assert client.get('/item/1?flag=yes').json() == {'id': '1', 'flag': 'yes'}
    assert client.post('/item/1', json={'flag': 'on'}).json() == {'id': '1', 'flag': 'on'}
    assert client.get('/item/1/yes').status_code == 404   # never from a path segment
    # after *args too: the name, never one more positional value
    assert client.get('/tagged/a?sep=_').text == 'a'
    assert client.get('/tagged/a/b?sep=_').text == 'a_b'
    assert client.get('/tagged/a/b').text == 'a-b'


def test_keyword_only_annotations_convert():
    if MICROPYTHON:
        return  # annotations: recorded by `plugdot bundle` on a board

    class Typed(App):
        async def item(self, id: int, *, flag: bool = False):
            return {'id': id, 'flag': flag}
    client = TestClient(Typed(plugins=[]))
    assert client.get('/item/1?flag=yes').json() == {'id': 1, 'flag': True}
    assert client.get('/item/1?flag=maybe').status_code == 400
    assert [r for r in Typed(plugins=[]).routes() if r[2] == 'item'][0][1] == '/item/<id>'


def test_a_method_without_self_is_refused_when_built():
    if MICROPYTHON:
        return  # signatures are not inspected there (a bundle checked them on CPython)

    class Bad(App):
        def item(id):
            return id
    message = str(raises(TypeError, Bad, plugins=[]))
    assert 'Bad.item' in message and 'def item(self, id)' in message, message

    class Static(App):
        @staticmethod
        def item(id):
            return id
    assert TestClient(Static(plugins=[])).get('/item/3').text == '3'


def test_methods_with_an_unknown_name_are_refused_naming_the_method():
    async def buy(self):
        return 'ok'
    message = str(raises(ValueError, methods('PST'), buy))
    assert "'PST'" in message and 'buy' in message and 'POST' in message


def test_a_wrapper_taking_args_passes_self_on():
    def logged(fn):           # a decorator without functools.wraps, as plugins' are
        async def wrapper(*args, **kwargs):
            return await fn(*args, **kwargs)
        return wrapper

    class Wrapped(App):
        @logged
        async def item(self, id='none'):
            return id
    signature(Wrapped.item, '*args')
    assert TestClient(Wrapped(plugins=[])).get('/item/3').text == '3'
