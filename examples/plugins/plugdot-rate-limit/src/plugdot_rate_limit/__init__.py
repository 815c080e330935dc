"""plugdot-rate-limit: at most ``rate_limit`` requests per client address
in each ``rate_limit_window`` seconds; past it a 429 with ``Retry-After``,
in the app's usual error format. Off until ``rate_limit`` is set.

Counts live on the app (two apps in one process count apart) in a table of
at most ``rate_limit_max_clients`` entries (the oldest is forgotten past
it), so memory stays bounded on a board. Portable to MicroPython. Behind a
proxy every request comes from the proxy's address: put the limit there.
When the server does not give the client address, all requests share one
count.
"""
from plugdot import HTTPError, monotonic

__version__ = '0.1.0'


def plugdot_settings():
    """Declare the limit, the window and the size of the table."""
    return {
        'rate_limit': (0, 'Requests allowed per client address in each window (0: no limit).'),
        'rate_limit_window': (60, 'Length of the rate limit window, in seconds.'),
        'rate_limit_max_clients': (1000, 'Most client addresses counted at once.'),
    }


def plugdot_before_request(request):
    """Count the request; raise HTTPError(429) past the limit."""
    app = request.app
    config = app.config
    if not config['rate_limit']:
        return
    counts = getattr(app, 'rate_limit_counts', None)
    if counts is None:
        counts = app.rate_limit_counts = {}
    client = request.client
    key = client[0] if client else '-'
    now = monotonic()
    start, used = counts.get(key, (now, 0))
    window = config['rate_limit_window']
    if now - start >= window:
        start, used = now, 0
    elif key not in counts and len(counts) >= config['rate_limit_max_clients']:
        del counts[next(iter(counts))]
    used += 1
    counts[key] = (start, used)
    if used > config['rate_limit']:
        retry = int(window - (now - start)) + 1
        raise HTTPError(429, headers={'Retry-After': str(retry)})


def plugdot_bundle_modules():
    """The module to copy into a MicroPython bundle."""
    return ['plugdot_rate_limit']
