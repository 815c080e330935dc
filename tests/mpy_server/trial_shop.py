"""An app of the outside-in trial whose bundle lacked a module the board
needed (test_bundle_needs.py)."""
from plugdot import App, methods


class Shop(App):
    """Class-style: a body binds to the arguments (its source names no codec)."""

    @methods('POST')
    async def buy(self, id: int, quantity: int = 1):
        return {'bought': id, 'quantity': quantity}


shop = Shop(plugins=[])
