"""Per-app settings: ``app.config``, declared defaults and ``PLUGDOT_*``
environment variables.

Every setting is declared once, with a default and a help text, by the
``plugdot_settings`` hook (the core's own are below); two plugins declaring
the same name is an error when the app is built. Values given to
``App(config=...)`` are checked against the type of the default then too,
and a name nobody declared but close to a declared one is warned about.
Values come from, in increasing precedence: the declared defaults, the ``config`` mapping given
to ``App(...)``, and ``PLUGDOT_<NAME>`` environment variables (so that a
deployment can override what the code says). What converts and checks given
values and environment texts is :mod:`plugdot._given` (loaded when there
are some: on a board, code is heap).
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
        # of App(config=...); *getenv*: see environ(). The checks of the
        # declared ones live here, in one function: on a board each function
        # is heap.
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
        if given:
            # App(config=...)'s values, checked against the declared settings
            # (plugdot._given: on a board, code only an app that gives some loads)
            from ._given import checked
            for name in given:
                super().__setitem__(name, checked(self, name, given[name]))
        for name in self.help:
            env = getenv('PLUGDOT_' + name.upper()) if getenv is not None else None
            if env is not None:
                from ._given import parse_env_value
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
