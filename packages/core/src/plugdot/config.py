"""Per-app settings: ``app.config``, declared defaults and ``PLUGDOT_*``
environment variables.

Every setting is declared once, with a default and a help text, by the
``plugdot_settings`` hook (the core's own are below); two plugins declaring
the same name is an error when the app is built. Values given to
``App(config=...)`` are checked against the type of the default then too,
and a name nobody declared but close to a declared one is warned about.
Values come from, in increasing precedence: the declared defaults, the ``config`` mapping given
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


def close_match(name, names):
    """The name among *names* within two edits of *name*, or None."""
    best = None
    for other in names:
        row = list(range(len(other) + 1))  # the edit distance, row by row
        for i in range(1, len(name) + 1):
            prev, row[0] = row[0], i
            for j in range(1, len(other) + 1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1,
                                           prev + (name[i - 1] != other[j - 1]))
        d = row[-1]
        if d <= 2 and (best is None or d < best[0]):
            best = (d, other)
    return best[1] if best else None


def setting_pair(plugin, name, settings):
    """``(default, help text)`` of setting *name* in *settings*, what
    *plugin*'s ``plugdot_settings`` returned; a PluginError naming both if
    malformed."""
    value = settings[name] if isinstance(settings, dict) else settings
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[1], str):
        from .errors import PluginError
        raise PluginError('plugdot plugin %r: plugdot_settings() must return {name: (default, '
                          'help text)}; setting %r: %r' % (plugin, name, value))
    return value


class Config(dict):
    """The settings of one app: a dict whose declared entries have help texts
    (``config.help[name]``). Changing a value tells the app, which re-reads
    the limits it caches."""

    def __init__(self, declared=(), given=None, getenv=None):
        # *declared*: (plugin name, its settings) pairs; *given*: the values
        # of App(config=...); *getenv*: see environ(). The checks live here,
        # in one function: on a board each function is heap.
        super().__init__()
        self.help = {}
        self.listeners = []
        owner = {}
        for plugin, settings in declared:
            for name in settings or ():
                if name in owner:  # one would silently configure the other
                    from .errors import PluginError
                    raise PluginError('setting %r is declared by two plugins, %r and %r: rename '
                                      'it in one of them (or block one: App(block_plugins=[...]))'
                                      % (name, owner[name], plugin))
                owner[name] = plugin
                default, text = setting_pair(plugin, name, settings)
                self.declare(name, default, text)
        for name in (given or {}):
            value = given[name]
            if name in self.help:
                # *value* must have the type of the default (an int for an
                # int, a list for a list...; any for None; for a string,
                # anything but a number: plugins take objects or lists there)
                default = self[name]
                ok, kind = True, None
                if default is None or value is None and isinstance(default, str):
                    pass
                elif isinstance(default, bool):
                    ok, kind = isinstance(value, bool), 'a boolean'
                elif isinstance(default, int):
                    ok, kind = isinstance(value, int) and not isinstance(value, bool), 'an integer'
                elif isinstance(default, float):
                    ok, kind = (isinstance(value, (int, float)) and not isinstance(value, bool),
                                'a number')
                elif isinstance(default, (list, tuple)):  # or its comma-separated text
                    ok, kind = isinstance(value, (list, tuple, str)), 'a list'
                elif isinstance(default, str):  # or what a plugin takes instead (a backend)
                    ok, kind = not isinstance(value, (int, float)), 'a string'
                if not ok:
                    raise ValueError('App(config=...): setting %r expects %s (like its default '
                                     '%r), got %r' % (name, kind, default, value))
                if isinstance(value, str) and isinstance(default, (list, tuple)):
                    # 'a, b' for a list setting reads as in PLUGDOT_<NAME>
                    value = parse_env_value(name, value, [])
            else:  # an app's own key is fine; one a typo away from a setting is not
                match = close_match(name, self.help)
                if match is not None:
                    message = ('App(config=...): unknown setting %r (did you mean %r?)'
                               % (name, match))
                    try:  # warnings on CPython, printed where there is none
                        import warnings
                        warnings.warn(message, stacklevel=3)
                    except ImportError:
                        print('plugdot warning: ' + message)
            super().__setitem__(name, value)
        for name in self.help:
            env = getenv('PLUGDOT_' + name.upper()) if getenv is not None else None
            if env is not None:
                super().__setitem__(name, parse_env_value(name, env, self.get(name)))

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
    """``getenv(name)``: the value of an environment variable, or None:
    ``os.environ.get`` on CPython, ``os.getenv`` on the MicroPython unix
    port, and one that finds nothing on a board, whose ``os`` has neither.
    *os_module* replaces ``os`` (tests)."""
    if os_module is None:
        import os as os_module
    env = getattr(os_module, 'environ', None)
    return env.get if env is not None else getattr(os_module, 'getenv', {}.get)
