"""A class-style plugdot app (MicroPie style): public methods are routes.

Run it:  plugdot run examples/class_app.py:app
"""
from plugdot import App, methods


class Timing:
    """Middleware: count requests, add a header on the way out."""

    def __init__(self):
        self.count = 0

    def before_request(self, request):
        self.count += 1

    def after_request(self, request, response):
        response.headers['X-Request-Count'] = str(self.count)


class Shop(App):
    """``/`` lists the items, ``/item/<id>`` shows one, ``POST /buy`` buys."""

    items = {1: 'kettle', 2: 'teapot'}

    async def index(self):
        return {'items': self.items}

    async def item(self, id: int):
        if id not in self.items:
            return 'No such item', 404
        return {'id': id, 'name': self.items[id]}

    async def greet(self, name='Guest'):
        return 'Hello, %s' % name

    @methods('POST')
    async def buy(self, id: int, quantity: int = 1):
        return {'bought': self.items.get(id), 'quantity': quantity,
                'client': self.request.client[0] if self.request.client else None}


app = Shop()
app.add_middleware(Timing())

if __name__ == '__main__':
    app.run()
