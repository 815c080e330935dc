"""Helpers shared by the portable tests (CPython and MicroPython)."""
import sys

from plugdot import App, register_signature, REQUIRED

MICROPYTHON = sys.implementation.name == 'micropython'


def make_app(**config):
    """An app with no third-party plugins, so tests see only the core."""
    return App(config=config or None, plugins=[])


def signature(fn, *params):
    """Record *fn*'s parameters where they cannot be inspected (MicroPython);
    on CPython the real signature is read, so this does nothing."""
    if MICROPYTHON:
        register_signature(fn, [(p, REQUIRED) if isinstance(p, str) else p for p in params])


def raises(exc_type, fn, *args, **kwargs):
    """Assert that fn(*args, **kwargs) raises exc_type; return the exception."""
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError('%s was not raised' % exc_type.__name__)
