"""Return values that are tuples: ``(body, status)``, ``(body, status,
headers)``, ``(body, headers)``, ``(status, body[, headers])`` and Microdot's
``(status, headers)``. A module of its own, loaded when a handler first
returns a tuple (on a board, code is heap)."""
from .datastructures import Headers
from .response import _empty, to_response


def tuple_response(value):
    """The :class:`~plugdot.response.Response` for a handler's tuple *value*
    (see :func:`plugdot.response.to_response`); TypeError, saying what to
    return instead, if it is not one of the accepted forms."""
    # The one rule (docs/guide.md, "Return values"): a tuple that starts with
    # an int is (status, body[, headers]) -- MicroPie's order -- except that
    # (status, dict) is Microdot's (status, headers); any other tuple is
    # (body, status[, headers]) or (body, headers), as in Microdot and Flask.
    n = len(value)
    if not 1 < n < 4:
        raise TypeError('returned a tuple of %d items; return (body, status), (body, status, '
                        'headers), (body, headers) or (status, body[, headers])' % n)
    first, second = value[0], value[1]
    headers = value[2] if n == 3 else None
    if isinstance(first, int) and not isinstance(first, bool):
        status = first
        if n == 2 and isinstance(second, (dict, Headers)):
            for name, item in (second.items() if isinstance(second, dict) else second):
                # Microdot's (status, {headers}) or MicroPie's (status, {json}):
                # a header has a str value and a dashed or standard one-word name.
                if not (isinstance(item, str) and isinstance(name, str)
                        and ('-' in name or name.lower() in (  # the one-word header names
                            'location', 'allow', 'vary', 'expires', 'etag', 'link', 'refresh',
                            'server', 'date', 'age', 'pragma', 'warning', 'via', 'upgrade',
                            'connection', 'authorization', 'cookie', 'host', 'origin', 'te',
                            'trailer', 'dnt'))):
                    raise TypeError('returned (%d, {%r: ...}): a dict after a status is headers '
                                    '(as in Microdot), and this is not one; for a JSON body '
                                    'return (body, %d)' % (status, name, status))
            body, headers = b'', second
        else:
            body = second
    elif isinstance(second, int) and not isinstance(second, bool):
        body, status = first, second
    elif n == 2 and isinstance(second, (dict, list, Headers)):
        body, status, headers = first, 200, second
    else:
        raise TypeError('returned a tuple without an int status: (%s, %s)'
                        % (type(first).__name__, type(second).__name__))
    response = _empty(status) if isinstance(body, bytes) and not body else to_response(body)
    if not 100 <= status <= 599:
        raise TypeError('returned status %d, which is not an HTTP status (100-599)' % status)
    response.status = status
    if status in (204, 304):
        response.content_type = None
    if headers:
        response.headers.update(headers)
    return response
