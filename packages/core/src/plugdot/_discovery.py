"""Finding installed plugins: the ``plugdot`` entry points of the
distributions on ``sys.path``. CPython only (a board has no entry points;
a bundle lists its plugins)."""
import os

from ._compat import import_module
from .plugins import ENTRY_POINT_GROUP


class EntryPoint:
    """One ``plugdot`` entry point: ``name = module[:attr]`` declared by the
    distribution ``dist`` at ``version``."""

    def __init__(self, name, value, dist, version):
        self.name = name
        self.value = value
        self.dist = dist
        self.version = version

    def load(self):
        """Import and return the plugin object."""
        module_name, _, attr = self.value.partition(':')
        obj = import_module(module_name.strip())
        for part in attr.strip().split('.') if attr.strip() else ():
            obj = getattr(obj, part)
        return obj

    def __repr__(self):
        return '<EntryPoint %s = %s (%s %s)>' % (self.name, self.value, self.dist, self.version)


def _parse_entry_points(text):
    """The ``name = value`` pairs of the ``[plugdot]`` section of an
    ``entry_points.txt`` file."""
    pairs, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in '#;':
            continue
        if line[0] == '[':
            inside = line == '[' + ENTRY_POINT_GROUP + ']'
        elif inside and '=' in line:
            name, _, value = line.partition('=')
            pairs.append((name.strip(), value.strip()))
    return pairs


def _read(path):
    """The bytes of the file at *path*, or None if there is none."""
    # os.access and os.open rather than open(): most distributions have no
    # entry_points.txt, and a failed open() builds an exception; reading
    # bytes skips the text layer for the many files without a [plugdot] section.
    if not os.access(path, os.R_OK):
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def _scan_entry_points(paths):
    # Reading the entry_points.txt files directly is several times faster
    # than importlib.metadata, which parses every distribution's metadata;
    # startup time and memory are part of the product.
    # The standard library's own folders hold no distributions (pip installs
    # into site-packages); listing their hundreds of modules is most of a scan.
    stdlib = getattr(os, '__file__', None)
    stdlib = os.path.dirname(stdlib) if stdlib else None
    skip = (stdlib, os.path.join(stdlib, 'lib-dynload')) if stdlib else ()
    section = ('[' + ENTRY_POINT_GROUP + ']').encode()
    found = {}
    for base in paths:
        if base in skip:
            continue
        try:
            names = sorted(name for name in os.listdir(base or '.')
                           if name.endswith(('.dist-info', '.egg-info')))
        except OSError:
            continue
        prefix = os.path.join(base or '.', '')
        for folder in names:
            data = _read(prefix + folder + os.sep + 'entry_points.txt')
            if not data or section not in data:
                continue
            stem = folder.rpartition('.')[0]
            dist, _, version = stem.partition('-')
            for name, value in _parse_entry_points(data.decode('utf-8', 'replace')):
                found.setdefault(name, EntryPoint(name, value, dist, version or None))
    return [found[name] for name in sorted(found)]


_entry_points = None


def entry_points():
    """The ``plugdot`` entry points of the installed distributions, sorted by
    name (scanned once per process; ``reset()`` forgets the scan)."""
    global _entry_points
    if _entry_points is None:
        import sys
        _entry_points = _scan_entry_points(sys.path)
    return _entry_points


def reset():
    """Forget the scan (tests install plugins on the fly)."""
    global _entry_points
    _entry_points = None


