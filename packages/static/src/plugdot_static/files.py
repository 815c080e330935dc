""":class:`StaticFiles`: a mountable app that serves files from one or more
folders, safely, with caching headers, ranges and precompressed siblings."""
import os

from plugdot import HTTPError, Response
from plugdot._compat import MICROPYTHON
from plugdot.files import CONTENT_TYPES
from plugdot.routing import Router

from .response import StaticResponse, can_inflate

_ALLOW = {'Allow': 'GET, HEAD'}
IMMUTABLE = 'public, max-age=31536000, immutable'


def is_hashed(name):
    """True if the file *name* carries a content hash (``app.3f2a9c1b.css``,
    ``index-BjUz7n1c.js``): a dot- or dash-separated part of 8 or more
    letters and digits with at least one digit and one letter."""
    for part in name.replace('-', '.').split('.'):
        if len(part) >= 8 and not part.isdigit() and not part.isalpha():
            ok = True
            for ch in part:
                if not (ch.isdigit() or ('a' <= ch.lower() <= 'z') or ch == '_'):
                    ok = False
                    break
            if ok:
                return True
    return False


def split_path(path, hidden=False):
    """The parts of a URL path below a root, refusing what could escape it:
    a NUL or other control character, a backslash or a drive letter or
    colon is a 400; ``..`` (and, unless *hidden*, a part starting with a
    dot) is a 404. The path is already percent-decoded, once, by the
    server: it is never decoded again."""
    for ch in path:
        if ord(ch) < 32 or ord(ch) == 127 or ch == '\\':
            raise HTTPError(400, 'Bad path')
    parts = []
    for part in path.split('/'):
        if part == '' or part == '.':
            continue
        if part == '..' or (part[0] == '.' and not hidden):
            raise HTTPError(404)
        if ':' in part:  # C:, \\?\, NTFS streams: never a file name here
            raise HTTPError(400, 'Bad path')
        parts.append(part)
    return parts


class _Routes(Router):
    """An empty router (no routes, mounts or class routes) that describes
    the mount for ``plugdot routes``."""

    def __init__(self, static):
        Router.__init__(self)
        self.owner = static

    def describe(self, prefix=''):
        """The row ``plugdot routes`` shows for this mount."""
        return [(('GET', 'HEAD'), prefix + '/<path:path>',
                 'StaticFiles(%s)' % ', '.join(root for root, _ in self.owner.roots))]


_UNIX_PORT = MICROPYTHON and __import__('sys').platform in ('linux', 'darwin')


def _no_symlinks(root, full):
    # Each part below *root* must be listed as a file or folder, not a link.
    parent = root
    for part in full[len(root) + 1:].split('/'):
        kind = None
        for entry in os.ilistdir(parent):
            if entry[0] == part:
                kind = entry[1]
                break
        if kind not in (0o100000, 0o040000):
            return False
        parent = parent + '/' + part
    return True


def _stat(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st


def _is_dir(st):
    return st is not None and st[0] & 0o170000 == 0o040000


def _is_file(st):
    return st is not None and st[0] & 0o170000 == 0o100000


def _package_dir(spec):
    name, _, sub = spec.partition(':')
    module = __import__(name, None, None, ['x'])
    base = module.__file__.rpartition('/')[0] if '/' in module.__file__ \
        else os.path.dirname(module.__file__)
    return base + '/' + (sub or 'static')


class StaticFiles:
    """Serve files from *directories*, searched in order (the first that has
    the file wins); mount it: ``app.mount(StaticFiles('static'), '/static')``.

    ``packages=['plugdot_admin']`` adds the ``static`` folder of a package
    (``'pkg:assets'`` another folder of it), which is how plugins ship
    assets. ``index`` is served for a folder; ``fallback`` (e.g.
    ``'index.html'``) answers paths without an extension that match no
    file (a single-page app). ``cache_control`` is sent with every file,
    ``immutable_cache_control`` instead with content-hashed names
    (``immutable``: a function of the file name, ``None`` for never).
    ``follow_symlinks`` lets links point outside the root; ``hidden``
    serves dotfiles; ``precompressed`` serves ``.br``/``.gz`` siblings;
    ``max_ranges`` caps the ranges of one request (1 on a board);
    ``content_types`` adds or replaces ``{extension: type}``.
    """

    def __init__(self, *directories, packages=(), index='index.html', fallback=None,
                 cache_control='no-cache', immutable_cache_control=IMMUTABLE,
                 immutable=is_hashed, follow_symlinks=False, hidden=False, precompressed=True,
                 max_ranges=None, content_types=None, chunk_size=None):
        self.roots = []
        self.index = index
        self.fallback = fallback
        self.cache_control = cache_control
        self.immutable_cache_control = immutable_cache_control
        self.immutable = immutable
        self.follow_symlinks = follow_symlinks
        self.hidden = hidden
        self.precompressed = precompressed
        self.max_ranges = max_ranges if max_ranges is not None else (1 if MICROPYTHON else 8)
        self.content_types = content_types or {}
        self.chunk_size = chunk_size
        self.router = _Routes(self)  # what code walking mounted apps' routers finds
        for directory in directories:
            self.add(directory)
        for spec in packages:
            self.add(_package_dir(spec))

    def add(self, directory):
        """Search *directory* after the roots already given (it must exist
        when the app starts)."""
        directory = directory.rstrip('/') or '/'
        real = None
        if not MICROPYTHON:
            real = os.path.realpath(directory).rstrip(os.sep) + os.sep
        self.roots.append((directory, real))

    async def startup(self):
        """Check the folders when the app starts (a mounted app starts with
        its parent): one that does not exist is a ValueError naming it. Not
        when the object is made, so that ``plugdot bundle`` can import an
        app whose folders exist only on the board."""
        for root, _ in self.roots:
            if not _is_dir(_stat(root)):
                raise ValueError('StaticFiles: %r is not a folder (from %s)'
                                 % (root, os.getcwd() if hasattr(os, 'getcwd') else '.'))

    async def shutdown(self):
        """Nothing to stop."""

    async def dispatch(self, request, mounted=False):
        """Answer *request* (mounted: ``request.route_path`` is below the prefix)."""
        return self.response(request, request.route_path)

    def response(self, request, path):
        """The response for the file at URL *path* below the roots (also
        usable from a handler: ``return static.response(request, path)``)."""
        if request.method not in ('GET', 'HEAD'):
            raise HTTPError(405, headers=_ALLOW)
        parts = split_path(path, self.hidden)
        found = self._find(parts) or self._bundled(parts)
        if found == 'dir':
            if not path.endswith('/'):  # relative, so no open redirect: 'docs' -> 'docs/'
                target = (parts[-1] if parts else '.') + '/'
                query = request.query_string
                return Response.redirect(target + ('?' + query if query else ''), 301)
            parts.append(self.index)
            found = self._find(parts)
        if found is None and self.fallback and (not parts or '.' not in parts[-1]):
            found = self._find(split_path(self.fallback, True))
        if found is None or found == 'dir':
            raise HTTPError(404)
        return self._file(request, *found)

    def _find(self, parts):
        rel = '/'.join(parts)
        for root, real in self.roots:
            full = root + '/' + rel if rel else root
            st = _stat(full)
            if _is_dir(st):
                if self.index:
                    index = full + '/' + self.index
                    ist = _stat(index)
                    if _is_file(ist) or _is_file(_stat(index + '.gz')):
                        if not rel or self._inside(real, full):
                            return 'dir'
                continue
            if _is_file(st) or (st is None and _is_file(_stat(full + '.gz'))):
                if self._inside(real, full if st is not None else full + '.gz'):
                    return full, st, parts[-1] if parts else '', real
        return None

    def _bundled(self, parts):
        # `plugdot bundle --static` gave the asset a content-hashed name; its
        # own name answers too (a page written by hand links it so), with the
        # headers of that name: no-cache, since every version has it.
        if not parts:
            return None
        from . import _assets
        hashed = _assets().get('/'.join(parts))
        found = self._find(hashed.split('/')) if hashed else None
        if found is None or found == 'dir':
            return None
        return found[0], found[1], parts[-1], found[3]

    def _inside(self, real, full):
        # A symlink inside the root must not lead out of it. CPython:
        # realpath. The MicroPython unix port: no symlink along the path.
        # A board's file systems (FAT, littlefs) have no symlinks.
        if self.follow_symlinks:
            return True
        if real is not None:
            return os.path.realpath(full).startswith(real)
        if _UNIX_PORT:
            return _no_symlinks(self._root_of(full), full)
        return True

    def _root_of(self, full):
        for root, _ in self.roots:
            if full.startswith(root + '/'):
                return root
        return full

    def _file(self, request, full, st, name, real):
        headers = {}
        if self.immutable is not None and self.immutable(name):
            headers['Cache-Control'] = self.immutable_cache_control
        elif self.cache_control:
            headers['Cache-Control'] = self.cache_control
        encoding = None
        inflate = False
        if self.precompressed or st is None:
            accept = _accepted(request.headers.get('accept-encoding', ''))
            for coding, suffix in (('br', '.br'), ('gzip', '.gz')):
                if coding == 'br' and st is None:
                    continue
                sib = _stat(full + suffix)
                if not _is_file(sib) or not self._inside(real, full + suffix):
                    continue
                headers['Vary'] = 'Accept-Encoding'
                if coding in accept or (st is None and can_inflate()):
                    inflate = coding not in accept
                    encoding = None if inflate else coding
                    full, st = full + suffix, sib
                    break
            if st is None:  # a gzip-only file and nothing can inflate it
                raise HTTPError(406, 'This file is only available gzip-compressed')
        return StaticResponse(full, st[6], st[8], self._type(name), headers, encoding, inflate,
                              self.max_ranges, self.chunk_size)

    def _type(self, name):
        ext = name.rpartition('.')[2].lower() if '.' in name else ''
        found = self.content_types.get(ext) or CONTENT_TYPES.get(ext)
        if found:
            return found
        if not MICROPYTHON:
            import mimetypes
            guessed = mimetypes.guess_type('x.' + ext)[0]
            if guessed:
                if guessed.startswith('text/') or guessed.endswith(('+xml', '/javascript')):
                    guessed += '; charset=utf-8'
                return guessed
        return 'application/octet-stream'


def _accepted(header):
    # The content codings of Accept-Encoding with q > 0 ('*' counts for all).
    codings = []
    for item in header.split(','):
        name, _, params = item.strip().partition(';')
        name = name.strip().lower()
        q = params.strip()
        if q[:2] == 'q=':
            try:
                if float(q[2:]) <= 0:
                    continue
            except ValueError:
                continue
        if name == '*':
            codings.extend(('br', 'gzip'))
        elif name:
            codings.append(name)
    return codings
