"""plugdot: a micro web framework made of small plugins around a pluggy core.

The public names are re-exported here; ``plugdot.testing.TestClient`` is the
in-process test client.
"""
from .app import App
from .errors import HTTPError, PluginError, abort
from .request import Request
from .response import Response, redirect, send_file
from .routing import methods
from ._compat import MICROPYTHON, REQUIRED, monotonic, register_signature

if not MICROPYTHON:  # (a board loads them on first use, from __getattr__: code is heap)
    from .datastructures import Headers, MultiDict

__version__ = '0.1.0'

__all__ = ['App', 'Headers', 'HTTPError', 'MultiDict', 'PluginError', 'Request', 'Response',
           'REQUIRED', 'abort', 'hookimpl', 'methods', 'monotonic', 'redirect',
           'register_signature',
           'send_file', '__version__']


def __getattr__(name):
    # hookimpl: pluggy's marker, or in a MicroPython bundle the table's
    # (so that a board never loads the plugin manager it does not use).
    from ._compat import MICROPYTHON
    if name == 'hookimpl':
        if MICROPYTHON:  # (only a board has bundles: CPython never loads _table)
            from ._table import bundled, hookimpl
            if bundled() is not None:
                return hookimpl
        from .plugins import hookimpl
        return hookimpl
    if name in ('Headers', 'MultiDict'):  # (a board) plugdot.datastructures on first use
        from . import datastructures
        return getattr(datastructures, name)
    if MICROPYTHON and name[:2] != '__':
        # MicroPython asks a module __getattr__ for `from plugdot import testing`.
        import sys
        try:
            __import__('plugdot.' + name)
        except ImportError:
            raise AttributeError(name)
        return sys.modules['plugdot.' + name]
    raise AttributeError(name)
