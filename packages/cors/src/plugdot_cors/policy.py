"""A CORS policy: the settings checked once, origins matched, headers built.

Loaded on the first request that carries an ``Origin`` header (or when the
app starts), so apps that configure no CORS never carry it.
"""
import re

from plugdot import Response
from plugdot._compat import MICROPYTHON

#: Headers a browser may send without asking (the CORS-safelisted ones).
SAFELISTED_HEADERS = ('accept', 'accept-language', 'content-language', 'content-type')
DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
_TOKEN_CHARS = "!#$%&'*+-.^_`|~"


class CORSConfigError(ValueError):
    """A CORS setting (or a per-route ``@cors(...)``) that cannot work; the
    message names the setting and the fix. Raised when the app is built."""


def is_token(text):
    """True if *text* is an HTTP token (a method or header name)."""
    if not text:
        return False
    for ch in text:
        if not (ch.isalpha() or ch.isdigit() or ch in _TOKEN_CHARS) or ord(ch) > 126:
            return False
    return True


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(',') if item.strip()]
    return list(value)


def _fullmatch(regex):
    if MICROPYTHON:  # no fullmatch; '$' ends the match
        compiled = re.compile('(?:' + regex + ')$')
        return compiled.match
    return re.compile(regex).fullmatch


def _glob(pattern):
    # '*' stands for one host label or a port: it never crosses a '.', ':' or '/'.
    parts = pattern.split('*')
    regex = '[a-z0-9-]+'.join(''.join('\\' + c if c in '.^$+?{}[]\\|()' else c for c in part)
                              for part in parts)
    return _fullmatch(regex)


def _check_origin(where, origin):
    if origin in ('*', 'null'):
        return
    scheme, sep, rest = origin.partition('://')
    fix = None
    if not sep or not scheme.isalpha() or not rest:
        fix = "write it as scheme://host[:port], e.g. 'https://example.com'"
    elif '/' in rest:
        fix = 'drop the path or trailing slash: %r' % (scheme + '://' + rest.partition('/')[0])
    elif ' ' in origin or origin != origin.strip():
        fix = 'remove the spaces'
    elif '**' in rest or '*' in scheme:
        fix = "a '*' stands for one host label or the port ('https://*.example.com')"
    if fix is not None:
        raise CORSConfigError('%s: %r is not an origin; %s' % (where, origin, fix))


class Policy:
    """The CORS rules of an app (or of one route): which origins may read
    responses, with which methods and headers, and whether with credentials.

    Arguments are the settings without their ``cors_`` prefix;
    *where* names them in error messages (``'settings'`` or the route).
    """

    def __init__(self, allowed_origins=(), allowed_origin_regex='', allowed_methods=None,
                 allowed_headers=(), expose_headers=(), allow_credentials=False, max_age=600,
                 where='settings'):
        origins = [o.strip() for o in _as_list(allowed_origins)]
        self.where = where
        name = 'cors_allowed_origins' if where == 'settings' else where + ' origins'
        for origin in origins:
            _check_origin(name, origin)
        self.any = '*' in origins
        self.credentials = bool(allow_credentials)
        if self.any and self.credentials:
            raise CORSConfigError(
                "%s: '*' cannot be combined with credentials (browsers refuse it, and "
                "reflecting every origin would let any site read your users' data); "
                'list the origins, or turn credentials off' % name)
        self.null = 'null' in origins
        self.exact = [o.lower() for o in origins if '*' not in o and o != 'null']
        self.globs = [_glob(o.lower()) for o in origins if '*' in o and o != '*']
        self.regex = None
        if allowed_origin_regex:
            try:
                self.regex = _fullmatch(allowed_origin_regex)
            except Exception as exc:
                raise CORSConfigError('%s: cors_allowed_origin_regex %r does not compile: %s'
                                      % (where, allowed_origin_regex, exc))
        self.active = bool(origins or self.regex)
        methods = _as_list(DEFAULT_METHODS if allowed_methods is None else allowed_methods)
        for method in methods:
            if method != '*' and not is_token(method):
                raise CORSConfigError('%s: cors_allowed_methods has %r, which is not an HTTP '
                                      'method' % (where, method))
        self.methods = None if '*' in methods else [m.upper() for m in methods]
        headers = _as_list(allowed_headers)
        for header in headers:
            if header != '*' and not is_token(header):
                raise CORSConfigError('%s: cors_allowed_headers has %r, which is not a header '
                                      'name' % (where, header))
        self.headers = None if '*' in headers else [h.lower() for h in headers]
        expose = _as_list(expose_headers)
        for header in expose:
            if not is_token(header):
                raise CORSConfigError('%s: cors_expose_headers has %r, which is not a header '
                                      'name' % (where, header))
        self.expose = ', '.join(expose)
        try:
            self.max_age = int(max_age)
        except (TypeError, ValueError):
            self.max_age = -1
        if self.max_age < 0:
            raise CORSConfigError('%s: cors_max_age must be a number of seconds >= 0, not %r'
                                  % (where, max_age))
        #: Whether responses depend on the Origin header (not for a plain '*').
        self.varies = not self.any

    def allows(self, origin):
        """True if *origin* (the ``Origin`` header) may read responses."""
        if origin is None:
            return False
        if origin == 'null':
            return self.null
        if self.any:
            return True
        low = origin.lower()
        if low in self.exact:
            return True
        for match in self.globs:
            if match(low):
                return True
        return self.regex is not None and self.regex(origin) is not None

    def allow_origin(self, origin):
        """The ``Access-Control-Allow-Origin`` value for *origin*, or None.
        Never an arbitrary origin: only one that an entry matched."""
        if not self.allows(origin):
            return None
        if self.any and origin != 'null':
            return '*'
        return origin

    def decorate(self, response, origin):
        """Add the CORS headers of an actual (non-preflight) response."""
        headers = response.headers
        if self.varies:
            add_vary(headers, 'Origin')
        value = self.allow_origin(origin)
        if value is None:
            return
        headers['Access-Control-Allow-Origin'] = value
        if self.credentials:
            headers['Access-Control-Allow-Credentials'] = 'true'
        if self.expose:
            headers['Access-Control-Expose-Headers'] = self.expose

    def preflight(self, origin, method, requested_headers):
        """The answer to a preflight: 204 with the grants, or a 400 that
        says what is refused (the browser then blocks the request)."""
        vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
        method = method.strip()
        if not is_token(method):
            return _refuse('malformed Access-Control-Request-Method', vary)
        names = [h.strip().lower() for h in requested_headers.split(',')] \
            if requested_headers else []
        names = [h for h in names if h]
        for name in names:
            if not is_token(name):
                return _refuse('malformed Access-Control-Request-Headers', vary)
        value = self.allow_origin(origin)
        if value is None:
            return _refuse('origin not allowed', vary)
        if self.methods is not None and method.upper() not in self.methods \
                and method not in self.methods:
            return _refuse('method %s not allowed (allowed: %s)'
                           % (method, ', '.join(self.methods)), vary)
        if self.headers is not None:
            for name in names:
                if name not in self.headers and name not in SAFELISTED_HEADERS:
                    return _refuse('header %s not allowed' % name, vary)
        response = Response(b'', 204, {'Vary': vary, 'Access-Control-Allow-Origin': value})
        h = response.headers
        h['Access-Control-Allow-Methods'] = method if self.methods is None \
            else ', '.join(self.methods)
        if names:
            h['Access-Control-Allow-Headers'] = ', '.join(names) if self.headers is None \
                else ', '.join(self.headers + [n for n in SAFELISTED_HEADERS if n in names])
        if self.credentials:
            h['Access-Control-Allow-Credentials'] = 'true'
        h['Access-Control-Max-Age'] = str(self.max_age)
        return response


def _refuse(reason, vary):
    response = Response('CORS preflight refused: ' + reason, 400, {'Vary': vary},
                        'text/plain; charset=utf-8')
    response.cors_preflight = True  # after_request must not grant it anything
    return response


def add_vary(headers, *names):
    """Add *names* to the ``Vary`` header of *headers*, merged with what is
    there (case-insensitively, each name once; ``Vary: *`` stays as is)."""
    current = []
    for value in headers.getlist('Vary'):
        current.extend(v.strip() for v in value.split(',') if v.strip())
    if '*' in current:
        return
    low = [v.lower() for v in current]
    changed = False
    for name in names:
        if name.lower() not in low:
            current.append(name)
            low.append(name.lower())
            changed = True
    if changed or len(headers.getlist('Vary')) > 1:
        headers['Vary'] = ', '.join(current)
