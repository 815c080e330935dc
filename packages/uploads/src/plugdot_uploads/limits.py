"""The upload limits of one request: the app's settings, then a route's
overrides (:func:`upload_limits`)."""
from plugdot._compat import MICROPYTHON

KB = 1024
MB = 1024 * 1024

#: name -> (CPython default, MicroPython default, help). Settings are named
#: ``uploads_<name>``; :func:`upload_limits` takes the bare names.
LIMITS = {
    'max_body_size': (64 * MB, 64 * KB, 'Largest multipart body, in bytes; past it 413 '
                      '(before reading when Content-Length says so).'),
    'max_file_size': (64 * MB, 32 * KB, 'Largest file in a multipart body, in bytes; past it 413.'),
    'max_field_size': (64 * KB, 4 * KB, 'Largest text field in a multipart body, in bytes; '
                       'past it 413.'),
    'max_parts': (1000, 32, 'Most parts (fields and files) in one multipart body; past it 413.'),
    'max_part_header_size': (4 * KB, 1 * KB, "Largest header block of one part, in bytes; "
                             "past it 400."),
    'max_part_headers': (8, 8, 'Most header lines of one part; past it 400.'),
    'max_boundary': (70, 70, 'Longest multipart boundary (RFC 2046: 70); past it 400.'),
    'spool_size': (1 * MB, 0, 'Files are kept in memory up to this many bytes in total, then '
                   'written to temporary files (0: never spool, keep files in memory).'),
    'min_free_space': (0, 16 * KB, 'Bytes that must stay free on the file system when a file '
                       'is saved; past it 507 and the partial file is removed (0: no check).'),
}

_ROUTES = {}


def upload_limits(**overrides):
    """Decorator: per-route upload limits, e.g.
    ``@upload_limits(max_file_size=200 * 1024 * 1024)`` on a handler (above
    or below the route decorator). Names are those of :data:`LIMITS`."""
    for name in overrides:
        if name not in LIMITS and name not in ('temp_dir', 'parser'):
            raise TypeError('upload_limits() got an unknown limit %r (known: %s)'
                            % (name, ', '.join(sorted(LIMITS))))

    def mark(fn):
        _ROUTES[fn] = overrides
        return fn
    return mark


class Limits:
    """The limits in force for one request (attributes named as in :data:`LIMITS`,
    plus ``temp_dir`` and ``parser``)."""

    def __init__(self, config, overrides=None):
        for name in LIMITS:
            setattr(self, name, config['uploads_' + name])
        self.temp_dir = config.get('uploads_temp_dir') or None
        self.parser = config.get('uploads_parser', 'auto')
        if overrides:
            for name, value in overrides.items():
                setattr(self, name, value)


def limits_for(request):
    """The :class:`Limits` for *request*: settings, then its route's overrides."""
    overrides = None
    route = request.route
    if route is not None and _ROUTES:
        fn = route.fn
        overrides = _ROUTES.get(fn) or _ROUTES.get(getattr(fn, '__func__', None))
    return Limits(request.app.config, overrides)


def settings():
    """The ``uploads_*`` settings of this interpreter."""
    out = {}
    for name, (cpython, board, text) in LIMITS.items():
        out['uploads_' + name] = (board if MICROPYTHON else cpython, text)
    out['uploads_temp_dir'] = ('', 'Folder for spooled uploads (empty: the system '
                                   'temporary folder).')
    out['uploads_parser'] = ('auto', 'Multipart parser: auto (python-multipart on CPython, the '
                             'portable one on MicroPython), portable or python-multipart.')
    return out
