"""plugdot-request-id: give every request an id and echo it in the response.

A complete third-party plugin: a plain module of ``plugdot_*`` functions,
found through its ``plugdot`` entry point. Portable to MicroPython.
"""
import binascii
import os

__version__ = '0.1.0'

_ALLOWED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'


def new_id():
    """A fresh random id: 16 hex digits."""
    return binascii.hexlify(os.urandom(8)).decode()


def valid_id(value):
    """True if a client-supplied id is safe to reuse (1-64 safe characters)."""
    return 0 < len(value) <= 64 and all(c in _ALLOWED for c in value)


def plugdot_settings():
    """Declare the name of the header carrying the id."""
    return {'request_id_header': ('X-Request-ID', 'Header that carries the request id.')}


def plugdot_before_request(request):
    """Take the client's id if it is valid, else make one; never answers."""
    header = request.app.config['request_id_header']
    given = request.headers.get(header)
    request.g.request_id = given if given is not None and valid_id(given) else new_id()


def plugdot_after_request(request, response):
    """Send the id back on every response, error responses included."""
    request_id = getattr(request.g, 'request_id', None) or new_id()
    response.headers[request.app.config['request_id_header']] = request_id


def plugdot_bundle_modules():
    """The module to copy into a MicroPython bundle."""
    return ['plugdot_request_id']
