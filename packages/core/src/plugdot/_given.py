"""The values given to ``App(config=...)`` and by ``PLUGDOT_*`` environment
variables, checked against the declared settings when the app is built: a
declared setting's value must have the type of its default; a name nobody
declared but close to a declared one is warned about. (A module of its own:
a board loads it only for an app that gives values.)"""


def parse_env_value(name, text, default):
    """Convert the environment text of setting *name* to the type of *default*."""
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in ('1', 'true', 'yes', 'on'):
            return True
        if low in ('0', 'false', 'no', 'off', ''):
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


def checked(config, name, value):
    """The value to store for setting *name* given as *value* to *config*
    (a :class:`~plugdot.config.Config` being built): *value*, or for a list
    setting given as text its items. ValueError if it has the wrong type."""
    if name in config.help:
        # *value* must have the type of the default (an int for an
        # int, a list for a list...; any for None; for a string,
        # anything but a number: plugins take objects or lists there)
        default = config[name]
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
        # the declared name within two edits of it, if any (edit distance, row by row)
        match = None
        for other in config.help:
            row = list(range(len(other) + 1))
            for i in range(1, len(name) + 1):
                prev, row[0] = row[0], i
                for j in range(1, len(other) + 1):
                    prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1,
                                               prev + (name[i - 1] != other[j - 1]))
            if row[-1] <= 2 and (match is None or row[-1] < match[0]):
                match = (row[-1], other)
        if match is not None:
            match = match[1]
            message = ('App(config=...): unknown setting %r (did you mean %r?)'
                       % (name, match))
            try:  # warnings on CPython, printed where there is none
                import warnings
                warnings.warn(message, stacklevel=4)
            except ImportError:
                print('plugdot warning: ' + message)
    return value
