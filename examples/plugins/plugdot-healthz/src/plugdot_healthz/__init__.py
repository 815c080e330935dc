"""plugdot-healthz: a ``/healthz`` route for load balancers and
supervisors: ``{"status": "ok", "uptime": seconds, "plugins": [...]}``.

A ``plugdot_app_created`` hook adds the route to every app. Portable to
MicroPython.
"""
from plugdot import monotonic

__version__ = '0.1.0'


def plugdot_settings():
    """Declare the path of the route."""
    return {'healthz_path': ('/healthz', 'Path of the health check route.')}


def plugdot_app_created(app):
    """Add the health check route to *app*."""
    started = monotonic()

    async def healthz(request):
        return {'status': 'ok', 'uptime': round(monotonic() - started, 3),
                'plugins': request.app.list_plugins()}

    app.get(app.config['healthz_path'])(healthz)


def plugdot_bundle_modules():
    """The module to copy into a MicroPython bundle."""
    return ['plugdot_healthz']
