"""A MicroPie-style app as its users write one, running on plugdot: public
methods are routes, arguments bind from the path, query, form and JSON body,
``(status, body[, headers])`` returns, a middleware that reads the form.
Run it with ``plugdot run examples/micropie_port.py:app``."""
from plugdot import App, methods, redirect


class CsrfCheck:
    """Refuses a POST whose form token does not match its cookie, as a
    MicroPie middleware does before the handler runs."""

    async def before_request(self, request):
        if request.method == 'POST' and request.content_type.endswith('urlencoded'):
            if request.form.get('csrf') != request.cookies.get('csrf'):
                return 403, 'CSRF token mismatch'


class Shop(App):
    async def index(self):
        return 'Welcome to the shop'

    async def greet(self, name='Guest'):
        return 200, 'Hello, %s' % name

    async def add(self, a: int, b: int):
        return {'a': a, 'b': b, 'sum': a + b}

    @methods('POST')
    async def order(self, item, quantity: int = 1, gift: bool = False):
        return 201, {'item': item, 'quantity': quantity, 'gift': gift}.__repr__(), [
            ('Location', '/orders/1'), ('Set-Cookie', 'last=%s' % item),
            ('Set-Cookie', 'count=%d' % quantity)]

    async def go(self):
        return redirect('/greet/Redirected')

    async def whoami(self):
        return {'ip': self.request.client[0]}

    def _private(self):
        return 'never a route'


app = Shop(plugins=[])
app.add_middleware(CsrfCheck())
