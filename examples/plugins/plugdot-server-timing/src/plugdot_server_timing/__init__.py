"""plugdot-server-timing: how long the app took, in a ``Server-Timing``
header on every response (errors and early answers included).

A ``plugdot_request`` wrapper: the one hook that runs around the whole
request. Portable to MicroPython (``plugdot.monotonic`` is the clock on
both interpreters).
"""
from plugdot import monotonic

__version__ = '0.1.0'


def plugdot_settings():
    """Declare the metric name."""
    return {'server_timing_metric': ('app', 'Name of the Server-Timing metric.')}


def plugdot_request(request):
    """Time everything inside this wrapper and report it on the response."""
    started = monotonic()
    response = yield
    took = (monotonic() - started) * 1000
    response.headers['Server-Timing'] = '%s;dur=%.1f' % (
        request.app.config['server_timing_metric'], took)


def plugdot_bundle_modules():
    """The module to copy into a MicroPython bundle."""
    return ['plugdot_server_timing']
