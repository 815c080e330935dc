"""HTTP errors: :class:`HTTPError`, :func:`abort` and the reason phrases."""


def status_phrase(status):
    """Return the reason phrase of *status*, or ``''`` for an unknown code."""
    # One string rather than a dict: on a board a dict of 36 strings is ~2.5 KB
    # of heap, this is part of the frozen code. Each entry is "|<code> <phrase>".
    phrases = ('|100 Continue|101 Switching Protocols|200 OK|201 Created|202 Accepted'
               '|204 No Content|206 Partial Content|301 Moved Permanently|302 Found'
               '|303 See Other|304 Not Modified|307 Temporary Redirect|308 Permanent Redirect'
               '|400 Bad Request|401 Unauthorized|403 Forbidden|404 Not Found'
               '|405 Method Not Allowed|406 Not Acceptable|408 Request Timeout|409 Conflict'
               '|410 Gone|411 Length Required|413 Content Too Large|414 URI Too Long'
               '|415 Unsupported Media Type|416 Range Not Satisfiable|422 Unprocessable Content'
               '|426 Upgrade Required|429 Too Many Requests|431 Request Header Fields Too Large'
               '|500 Internal Server Error|501 Not Implemented|502 Bad Gateway'
               '|503 Service Unavailable|505 HTTP Version Not Supported|')
    start = phrases.find('|%d ' % status)
    if start < 0:
        return ''
    return phrases[start + 5:phrases.index('|', start + 1)]


class PluginError(Exception):
    """A plugin could not be loaded or is invalid; the message names it."""


class HTTPError(Exception):
    """An exception that stands for an HTTP error response.

    Raise it (or call :func:`abort`) anywhere in a handler, a hook or a
    middleware; the ``plugdot_handle_error`` hook turns it into a response.
    *message* is shown to the client, so it must not hold secrets;
    *headers* (a dict) are added to the error response (``Allow`` on a 405).
    """

    def __init__(self, status, message=None, headers=None):
        self.status = status
        self.message = message or status_phrase(status) or 'Error'
        self.headers = headers
        super().__init__(status, self.message)

    def __str__(self):
        return '%d %s' % (self.status, self.message)


class MissingKey(KeyError):
    """A key the client did not send, looked up with ``request.args['x']``,
    ``request.form['x']`` or ``request.files['x']``: answered with a 400
    naming the key (as in Flask), not a 500. It is a :class:`KeyError`, so
    ``except KeyError`` in a handler still catches it."""


def abort(status, message=None, headers=None):
    """Stop handling the request now and answer with *status*.

    ``abort(404)`` raises :class:`HTTPError`; it never returns.
    """
    raise HTTPError(status, message, headers)


def plugdot_handle_error(request, error):
    """The built-in error response: an HTTPError's status and message, or a
    logged 500 (with the traceback only when ``debug`` is on). JSON when the
    client asks for JSON, else plain text."""
    from ._compat import format_exception, log_exception
    from .response import JSON, TEXT, Response
    if isinstance(error, HTTPError):
        status, message, headers = error.status, error.message, error.headers
    else:
        log_exception('Error while handling %s %s' % (request.method, request.path), error)
        status, message, headers = 500, status_phrase(500), None
        if request.app.config.get('debug'):
            message = format_exception(error)
    accept = request.headers.get('accept', '')
    if 'application/json' in accept and 'text/html' not in accept:
        import json
        return Response(json.dumps({'error': message, 'status': status}), status, headers, JSON)
    return Response(message, status, headers, TEXT)

