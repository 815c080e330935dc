"""URL patterns and converters, the decorator router and the class (method)
router; the built-in ``plugdot_resolve`` implementation.

Decorator routes are checked first (static paths by dict lookup, then the
precompiled dynamic patterns in the order they were added), then mounted
sub-apps (longest prefix first), then the public methods of an ``App``
subclass.

On CPython an app with more than a few dynamic routes does not try them
all: a tree of their leading static segments (``/api/v1/users/<id>`` sits
under ``api`` -> ``v1`` -> ``users``) gives the few that can match a path,
still in the order they were added, so the time to resolve does not grow
with the number of routes. (On MicroPython the list is scanned: a board's
apps have few routes, and the tree would cost heap.)
"""
import re

from ._compat import MICROPYTHON, call_problem, handler_kind
from .errors import HTTPError

#: Converter name -> (regular expression without groups, conversion).
DEFAULT_CONVERTERS = {
    'str': ('[^/]+', str),
    'int': ('-?[0-9]+', int),
    'float': ('-?[0-9]+[.]?[0-9]*', float),
    'path': ('.+', str),
}
_DEFAULT_CLASS_METHODS = ('GET', 'POST')
#: The methods a route may answer: RFC 9110's and PATCH (RFC 5789).
HTTP_METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE')
#: Up to this many dynamic routes, trying each is faster than the tree (a
#: board always tries each).
_SCAN = 4
_CLASS_METHODS = {}


#: Handlers made by a plugin's decorator -> (plugin entry point name, module).
NEEDS = {}


def needs_plugin(fn, name, module):
    """Mark *fn*, a handler made by plugin *name*'s decorator (its module:
    *module*), as working only in an app that loads that plugin. Declaring it
    as a route of an app without the plugin raises PluginError naming it; on
    a board running from source (no bundle, no entry points) the app loads
    the plugin instead."""
    NEEDS[fn] = (name, module)
    return fn


def methods(*names):
    """Restrict a class-style route to these HTTP methods
    (``@methods('POST')``); by default a public method answers GET and POST."""
    def mark(fn):
        _CLASS_METHODS[fn] = check_methods(names, getattr(fn, '__name__', fn))
        return fn
    return mark


def check_methods(names, handler):
    """*names* upper-cased, as a tuple; ValueError naming *handler* for one
    that is not an HTTP method plugdot routes (:data:`HTTP_METHODS`)."""
    upper = tuple(n.upper() for n in names)
    for name in upper:
        if name not in HTTP_METHODS:
            raise ValueError('handler %s: %r is not an HTTP method: write one of %s'
                             % (handler, name, ', '.join(HTTP_METHODS)))
    return upper


class Route:
    """A handler and how to call it.

    ``fn`` is called as ``fn(request, **path_args)``; ``kind`` says how
    (``'async'``, ``'thread'``, ``'inline'``, ``'check'``, ``'class'``);
    ``stream`` routes get their body through ``request.stream()`` instead of
    having it read before the handler.
    """

    def __init__(self, fn, methods, pattern, stream=False, kind=None):
        self.fn = fn
        self.methods = methods
        self.pattern = pattern
        self.stream = stream
        self.kind = kind or handler_kind(fn)
        self.name = getattr(fn, '__name__', repr(fn))

    def __repr__(self):
        return '<Route %s %s>' % ('|'.join(self.methods), self.pattern)


def compile_pattern(pattern, converters):
    """Compile ``/users/<int:id>`` to ``(regex, names, conversions)``, or
    return None for a static pattern."""
    if '<' not in pattern:
        return None
    regex = '^'
    names = []
    conversions = []
    rest = pattern
    while '<' in rest:
        before, _, rest = rest.partition('<')
        spec, sep, rest = rest.partition('>')
        if not sep:
            raise ValueError('unclosed "<" in route %r' % pattern)
        regex += ''.join('\\' + c if c in '.^$*+?{}[]\\|()' else c for c in before)
        kind, colon, name = spec.partition(':')
        if not colon:
            kind, name = 'str', spec
        if kind.startswith('re'):
            # <re:EXPR:name>
            expr, _, name = name.rpartition(':')
            if not expr:
                raise ValueError('use <re:EXPRESSION:name> in route %r' % pattern)
            part, convert = expr, str
        else:
            if kind not in converters:
                raise ValueError('unknown converter %r in route %r' % (kind, pattern))
            part, convert = converters[kind]
        if name in names:
            raise ValueError('path argument %r appears twice in route %r' % (name, pattern))
        if '(' in part.replace('\\(', '').replace('(?:', ''):
            raise ValueError('<re:...> in route %r must not contain groups: write (?:...) '
                             'for %r' % (pattern, name))
        regex += '(' + part + ')'
        names.append(name)
        conversions.append(convert)
    regex += ''.join('\\' + c if c in '.^$*+?{}[]\\|()' else c for c in rest) + '$'
    try:
        return re.compile(regex), tuple(names), tuple(conversions)
    except Exception as exc:  # re.error on CPython, ValueError on MicroPython
        raise ValueError('invalid regular expression in route %r: %s' % (pattern, exc))


class Router:
    """The routes of one app: decorator routes, mounts and class routes."""

    class_routes = {}  # first segment -> ClassRoute: an app's own dict once it has one

    # (Tuples, replaced as a whole when one is added, and a shared converter
    # table: an app's empty lists and dicts are heap on a board.)
    def __init__(self, listeners=None):
        self.converters = DEFAULT_CONVERTERS  # copied by the first add_converter
        self.static = {}     # path -> {method: Route}
        self.dynamic = ()    # ((pattern, regex, names, conversions, {method: Route}, one), ...)
        self.mounts = ()     # ((prefix, app), ...), longest prefix first
        # called when routes or mounts are added (the app recompiles its plan)
        self.listeners = [] if listeners is None else listeners
        if not MICROPYTHON:
            self._tree = None  # the dynamic routes by leading static segments

    def add(self, pattern, fn, methods, stream=False):
        """Add a route for *pattern* answering *methods*; return the Route."""
        if not pattern.startswith('/'):
            raise ValueError('route %r must start with "/"' % pattern)
        route = Route(fn, methods, pattern, stream)
        upper = check_methods(methods, route.name)
        route.methods = methods if upper == methods else upper  # a board keeps one tuple
        compiled = compile_pattern(pattern, self.converters)
        names = compiled[1] if compiled else ()
        if not MICROPYTHON:  # (MicroPython keeps no signatures: there call_problem is None)
            problem = call_problem(fn, names)
            if problem is not None:
                wanted = ', '.join(('request',) + names)
                fix = 'write def %s(%s)' % (route.name, wanted)
                for arg, plugin in (('ws', 'websocket'), ('sse', 'sse')):
                    if "'%s'" % arg in problem:  # the plugin's decorator went above the route's
                        fix = 'move @with_%s below the route decorator, not above it' % plugin
                raise TypeError('handler %s cannot take the arguments of route %r (%s): %s'
                                % (route.name, pattern, problem, fix))
            self._tree = None
        if compiled is None:
            table = self.static.setdefault(pattern, {})
        else:
            for entry in self.dynamic:
                if entry[0] == pattern:
                    table = entry[4]
                    break
            else:
                table = {}
                names, conversions = compiled[1], compiled[2]
                one = (names[0], conversions[0]) if len(names) == 1 else None
                self.dynamic += ((pattern,) + compiled + (table, one),)
        for method in route.methods:
            old = table.get(method)
            if old is not None and old.fn is not fn:  # the later one would silently win
                raise ValueError('%s %s has two handlers, %s and %s: remove one, or give it '
                                 'another path or method' % (method, pattern, old.name,
                                                             route.name))
        for method in route.methods:
            table[method] = route
        for listener in self.listeners:
            listener()
        return route

    def add_converter(self, name, regex, convert=str):
        """Register converter *name*: *regex* (without groups) and a
        conversion function that may raise ValueError to refuse a value."""
        if '(' in regex.replace('\\(', ''):
            raise ValueError('converter regex must not contain groups')
        if self.converters is DEFAULT_CONVERTERS:
            self.converters = dict(DEFAULT_CONVERTERS)
        self.converters[name] = (regex, convert)

    def mount(self, prefix, app):
        """Send requests under *prefix* to *app*."""
        prefix = '/' + prefix.strip('/')
        if prefix == '/':
            raise ValueError('mount prefix must not be "/"')
        self.mounts = tuple(sorted(self.mounts + ((prefix, app),), key=lambda m: -len(m[0])))
        for listener in self.listeners:
            listener()

    def add_class_routes(self, app, base):
        """Make every public method that ``type(app)`` adds to *base* a route."""
        skip = set(dir(base))
        mine = self.class_routes = dict(self.class_routes)  # (never the class's)
        for name in dir(type(app)):
            if name.startswith('_') or name in skip:
                continue
            method = getattr(app, name)
            if callable(method) and not isinstance(method, type):
                from ._class_routes import ClassRoute  # loaded only by class-style apps
                route = ClassRoute(name, method, getattr(type(app), name), type(app).__name__)
                mine['' if name == 'index' else name] = route
        for listener in self.listeners:
            listener()

    def resolve(self, method, path):
        """Return ``(route, path_args)``, raising 404 or 405 (with Allow)."""
        table = self.static.get(path)
        allowed = None
        if table is not None:
            route = table.get(method) or (table.get('GET') if method == 'HEAD' else None)
            if route is not None:
                return route, {}
            allowed = list(table)
        dynamic = self.dynamic
        if not MICROPYTHON:  # (the tree's code is CPython's: a board's bundle leaves it out)
            if len(dynamic) > _SCAN:  # only the routes the tree leads to
                node = self._tree or self._build_tree()
                for segment in path.split('/'):
                    found = node[0].get(segment)
                    if found is None:
                        break
                    node = found
                dynamic = node[1]
        for entry in dynamic:
            m = entry[1].match(path)
            if m is None:
                continue
            table = entry[4]
            route = table.get(method) or (table.get('GET') if method == 'HEAD' else None)
            if route is None:
                allowed = (allowed or []) + list(table)
                continue
            try:
                one = entry[5]
                if one is not None:  # the usual route: one argument
                    return route, {one[0]: one[1](m.group(1))}
                names, conversions = entry[2], entry[3]
                args = {}
                for i in range(len(names)):
                    args[names[i]] = conversions[i](m.group(i + 1))
            except ValueError:
                continue
            return route, args
        if allowed is None:
            for prefix, app in self.mounts:
                if path == prefix or path.startswith(prefix + '/'):
                    from ._mount import MountRoute  # loaded only by apps that mount others
                    return MountRoute(prefix, app), {}
            if self.class_routes:
                first = path.lstrip('/').partition('/')[0]
                route = self.class_routes.get('' if first == 'index' else first)
                if route is not None:
                    if method in route.methods or (method == 'HEAD' and 'GET' in route.methods):
                        return route, {}
                    allowed = list(route.methods)
        if allowed is None:
            raise HTTPError(404)
        return self._not_allowed(method, path, allowed)

    def _not_allowed(self, method, path, allowed):
        # The automatic OPTIONS answer, or a 405, for a path whose routes allow
        # *allowed*. (Not in resolve: its lambda's closure would make resolve
        # build a cell on every call.)
        allowed = set(allowed)  # the Allow header: with HEAD for GET, and OPTIONS
        if 'GET' in allowed:
            allowed.add('HEAD')
        allowed.add('OPTIONS')
        allow = ', '.join(sorted(allowed))
        if method == 'OPTIONS':
            from .response import Response
            return Route(lambda request: Response(b'', 204, {'Allow': allow}), ('OPTIONS',), path,
                         kind='inline'), {}
        raise HTTPError(405, headers={'Allow': allow})

    def _build_tree(self):
        # A node: (children by path segment, the dynamic routes a path that
        # reaches it can match: its own and those of the nodes above it, in
        # the order they were added). The root sits under '' (the empty
        # segment before a path's first "/").
        root = ({}, [])
        for i, entry in enumerate(self.dynamic):
            node = root
            # The route's regex starts with the text before its first "<":
            # every segment that text completes is a fixed segment of the path.
            for segment in entry[0][:entry[0].index('<')].split('/')[1:-1]:
                node = node[0].setdefault(segment, ({}, []))
            node[1].append((i, entry))
        self._tree = ({'': _flatten(root, [])}, [])
        return self._tree

    def allowed_methods(self, path):
        """The Allow header value for *path*, or None if nothing matches it."""
        try:
            route, _ = self.resolve('OPTIONS', path)
        except HTTPError as exc:
            return exc.headers and exc.headers.get('Allow')
        allowed = set(route.methods)  # as in _not_allowed
        if 'GET' in allowed:
            allowed.add('HEAD')
        allowed.add('OPTIONS')
        return ', '.join(sorted(allowed))

    def url_for(self, name, args):
        """The URL path of the route whose handler is named *name*, with
        *args* filling its ``<arguments>`` (percent-encoded) and the rest
        added as a query string; None if no route has that name. Mounted
        apps' routes are found under their prefix."""
        for pattern, table in self.static.items():
            if any(r.name == name for r in table.values()):
                return _build_url(pattern, args)
        for entry in self.dynamic:
            if any(r.name == name for r in entry[4].values()):
                return _build_url(entry[0], args)
        for prefix, app in self.mounts:
            url = app.router.url_for(name, args)
            if url is not None:
                return prefix + url
        for route in self.class_routes.values():
            if route.name == name:  # arguments as a query string: they bind by name
                return _build_url('/' if name == 'index' else '/' + name, args)
        return None

    def describe(self, prefix=''):
        """Every route as ``(methods, pattern, handler name)``, mounts expanded."""
        rows = []
        for path, table in self.static.items():
            rows.extend(_describe_table(prefix + path, table))
        for entry in self.dynamic:
            rows.extend(_describe_table(prefix + entry[0], entry[4]))
        for mount_prefix, app in self.mounts:
            rows.extend(app.router.describe(prefix + mount_prefix))
        for route in self.class_routes.values():
            rows.append((route.methods, prefix + route.pattern, route.name))
        return rows


def _build_url(pattern, args):
    args = dict(args)
    url = ''
    rest = pattern
    while '<' in rest:
        before, _, rest = rest.partition('<')
        spec, _, rest = rest.partition('>')
        kind, _, name = spec.rpartition(':')
        if name not in args:
            raise ValueError('url_for: route %r needs argument %r' % (pattern, name))
        url += before + url_quote(str(args.pop(name)), '/' if kind == 'path' else '')
    url += rest
    if args:
        url += '?' + '&'.join('%s=%s' % (url_quote(str(k)), url_quote(str(v)))
                              for k, v in args.items())
    return url


def url_quote(text, safe=''):
    """Percent-encode *text* for a URL path segment or query value: every
    byte but ASCII letters, digits, ``-._~`` and the characters in *safe*."""
    out = []
    for ch in text:
        if ch.isalpha() and ord(ch) < 128 or ch.isdigit() or ch in '-._~' or ch in safe:
            out.append(ch)
        else:
            out.extend('%%%02X' % b for b in ch.encode())
    return ''.join(out)


def _first(pair):
    return pair[0]


def _flatten(node, above):
    # The tree with each node's routes merged with those above it (in order).
    mine = sorted(above + node[1], key=_first)
    return (dict((segment, _flatten(child, mine)) for segment, child in node[0].items()),
            [entry for _, entry in mine])



def _describe_table(pattern, table):
    seen = {}
    for method, route in table.items():
        seen.setdefault(id(route), (route, []))[1].append(method)
    return [(tuple(ms), pattern, route.name) for route, ms in seen.values()]


def plugdot_resolve(request):
    """The built-in router: the app's routes for the request's path."""
    return (request.mounted_app or request.app).router.resolve(request.method, request.route_path)
