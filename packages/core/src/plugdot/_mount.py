"""Mounted sub-apps: the route that hands a request to one.

Loaded on first use by :meth:`plugdot.routing.Router.resolve`, so an app
that mounts nothing (and its MicroPython bundle) never carries it.
"""
from .routing import Route


class MountRoute(Route):
    """Hands the request to a mounted sub-app, with the prefix removed from
    ``request.route_path`` and ``request.mounted_app`` set to the sub-app
    while it runs; the sub-app's own hooks apply inside. ``request.app``
    stays the app being served, so plugins (sessions, limits) read its
    settings whichever app's route answers."""

    def __init__(self, prefix, app):
        Route.__init__(self, self.dispatch, ('*',), prefix + '/...', stream=True, kind='async')
        self.app = app
        self.prefix = prefix

    async def dispatch(self, request):
        """Run the sub-app's pipeline for *request*."""
        outer_path, outer_app = request.route_path, request.mounted_app
        request.route_path = outer_path[len(self.prefix):] or '/'
        request.mounted_app = self.app
        try:
            return await self.app.dispatch(request, mounted=True)
        finally:
            request.route_path, request.mounted_app = outer_path, outer_app
