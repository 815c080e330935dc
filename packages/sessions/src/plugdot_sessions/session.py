"""The :class:`Session` object: a dict that knows whether it changed."""


class Session(dict):
    """A dict of session data that tracks changes.

    ``modified`` is set by every change through the dict interface (a value
    mutated in place — ``session['cart'].append(x)`` — is not seen: assign
    it again, or set ``session.modified = True``). ``new`` is true when the
    client sent no valid session. ``sid`` is the server-side id, if any.
    """

    def __init__(self, data=None, sid=None, new=True):
        super().__init__()
        if data:
            for key in data:
                super().__setitem__(key, data[key])
        self.sid = sid
        self.new = new
        self.modified = False
        self.regenerated = False
        self.expires = 0  # when the client's signed id expires (server-side stores)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.modified = True

    def __delitem__(self, key):
        super().__delitem__(key)
        self.modified = True

    def pop(self, key, *default):
        """Remove *key* and return its value (or *default*)."""
        if key in self:
            self.modified = True
        return super().pop(key, *default)

    def popitem(self):
        """Remove and return some ``(key, value)`` pair."""
        self.modified = True
        return super().popitem()

    def setdefault(self, key, default=None):
        """Return the value of *key*, setting it to *default* if missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        """Update from a mapping or pairs, like dict.update."""
        super().update(*args, **kwargs)
        self.modified = True

    def clear(self):
        """Remove everything (the cookie is deleted when the response is sent)."""
        super().clear()
        self.modified = True

    def regenerate(self):
        """Issue a new session id / token for the same data (call it after
        login, against session fixation)."""
        self.regenerated = True
        self.modified = True

    def flash(self, message, category='message'):
        """Keep *message* for the next request (``get_flashed_messages``)."""
        flashes = list(self.get('_flashes', ()))
        flashes.append([category, message])
        self['_flashes'] = flashes

    def get_flashed_messages(self, with_categories=False):
        """Return and forget the flashed messages."""
        flashes = self.pop('_flashes', [])
        if with_categories:
            return [(c, m) for c, m in flashes]
        return [m for _, m in flashes]

    def to_dict(self):
        """A plain dict copy of the data."""
        return dict((k, self[k]) for k in self)
