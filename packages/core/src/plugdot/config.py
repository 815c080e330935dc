"""Per-app settings: ``app.config``, declared defaults and ``PLUGDOT_*``
environment variables.

Every setting is declared once, with a default and a help text, by the
``plugdot_settings`` hook (the core's own are below). Values come from, in
increasing precedence: the declared defaults, the ``config`` mapping given
to ``App(...)``, and ``PLUGDOT_<NAME>`` environment variables (so that a
deployment can override what the code says).
"""
from ._compat import MICROPYTHON


def plugdot_settings():
    """The core's settings and their defaults (smaller on MicroPython)."""
    small = MICROPYTHON
    return {
        'debug': (False, 'Show tracebacks in 500 responses. Never in production.'),
        'max_body_size': (16 * 1024 if small else 1024 * 1024,
                          'Largest request body read into memory, in bytes (413 past it).'),
        'max_header_count': (32 if small else 100,
                             'Most request header fields (431 past it).'),
        'max_header_size': (4 * 1024 if small else 16 * 1024,
                            'Largest total size of the request headers, in bytes (431 past it).'),
        'max_json_depth': (32 if small else 64,
                           'Deepest nesting of arrays and objects in a JSON body (400 past it).'),
        'secret_key': (None, 'Key that plugins (sessions) sign with; required by them.'),
    }


_TRUE = ('1', 'true', 'yes', 'on')
_FALSE = ('0', 'false', 'no', 'off', '')


def parse_env_value(name, text, default):
    """Convert the environment text of setting *name* to the type of *default*."""
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError('PLUGDOT_%s: expected a boolean (1/0, true/false), got %r'
                         % (name.upper(), text))
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError('PLUGDOT_%s: expected an integer, got %r' % (name.upper(), text))
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ValueError('PLUGDOT_%s: expected a number, got %r' % (name.upper(), text))
    if isinstance(default, (list, tuple)):
        return [item.strip() for item in text.split(',') if item.strip()]
    return text


class Config(dict):
    """The settings of one app: a dict whose declared entries have help texts
    (``config.help[name]``). Changing a value tells the app, which re-reads
    the limits it caches."""

    def __init__(self, declared=(), given=None, environ=None):
        super().__init__()
        self.help = {}
        self.listeners = []
        for settings in declared:
            for name in settings:
                default, text = settings[name]
                self.declare(name, default, text)  # the first declaration wins
        for name in (given or {}):
            super().__setitem__(name, given[name])
        for name in self.help:
            env = environ.get('PLUGDOT_' + name.upper()) if environ is not None else None
            if env is not None:
                default = self.get(name)
                super().__setitem__(name, parse_env_value(name, env, default))

    def declare(self, name, default, text):
        """Declare setting *name* unless it is declared already."""
        if name not in self.help:
            self.help[name] = text
            if name not in self:
                super().__setitem__(name, default)

    def __setitem__(self, name, value):
        super().__setitem__(name, value)
        for listener in self.listeners:
            listener()

    def update(self, *args, **kwargs):
        """Update several settings at once."""
        super().update(*args, **kwargs)
        for listener in self.listeners:
            listener()


def environ(os_module=None):
    """The process environment as a mapping: ``os.environ`` on CPython, one
    over ``os.getenv`` on the MicroPython unix port, and an empty one on a
    board, whose ``os`` has neither. *os_module* replaces ``os`` (tests)."""
    if os_module is None:
        import os as os_module
    env = getattr(os_module, 'environ', None)
    if env is None:
        getenv = getattr(os_module, 'getenv', None)
        env = _Getenv(getenv) if getenv is not None else {}
    return env


class _Getenv:
    def __init__(self, getenv):
        self.getenv = getenv

    def get(self, name, default=None):
        value = self.getenv(name)
        return default if value is None else value
