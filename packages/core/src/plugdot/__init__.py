"""plugdot: a micro web framework made of small plugins around a pluggy core.

The public names are re-exported here; ``plugdot.testing.TestClient`` is the
in-process test client.
"""
from .app import App
from .datastructures import Headers, MultiDict
from .errors import HTTPError, abort
from .plugins import PluginError, hookimpl
from .request import Request
from .response import Response, redirect, send_file
from .routing import methods
from ._compat import REQUIRED, register_signature

__version__ = '0.1.0'

__all__ = ['App', 'Headers', 'HTTPError', 'MultiDict', 'PluginError', 'Request', 'Response',
           'REQUIRED', 'abort', 'hookimpl', 'methods', 'redirect', 'register_signature',
           'send_file', '__version__']
