"""URL patterns and converters, the decorator router and the class (method)
router; the built-in ``plugdot_resolve`` implementation.

Decorator routes are checked first (static paths by dict lookup, then the
precompiled dynamic patterns in the order they were added), then mounted
sub-apps (longest prefix first), then the public methods of an ``App``
subclass.
"""
import re

from ._compat import call_problem, handler_kind
from .errors import HTTPError

#: Converter name -> (regular expression without groups, conversion).
DEFAULT_CONVERTERS = {
    'str': ('[^/]+', str),
    'int': ('-?[0-9]+', int),
    'float': ('-?[0-9]+[.]?[0-9]*', float),
    'path': ('.+', str),
}
_DEFAULT_CLASS_METHODS = ('GET', 'POST')
_CLASS_METHODS = {}


def methods(*names):
    """Restrict a class-style route to these HTTP methods
    (``@methods('POST')``); by default a public method answers GET and POST."""
    def mark(fn):
        _CLASS_METHODS[fn] = tuple(n.upper() for n in names)
        return fn
    return mark


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
        regex += _escape(before)
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
        regex += '(' + part + ')'
        names.append(name)
        conversions.append(convert)
    regex += _escape(rest) + '$'
    return re.compile(regex), tuple(names), tuple(conversions)


def _escape(text):
    return ''.join('\\' + c if c in '.^$*+?{}[]\\|()' else c for c in text)


class Router:
    """The routes of one app: decorator routes, mounts and class routes."""

    def __init__(self):
        self.converters = dict(DEFAULT_CONVERTERS)
        self.static = {}     # path -> {method: Route}
        self.dynamic = []    # [(pattern, regex, names, conversions, {method: Route})]
        self.mounts = []     # [(prefix, app)], longest prefix first
        self.class_routes = {}  # first segment -> ClassRoute

    def add(self, pattern, fn, methods, stream=False):
        """Add a route for *pattern* answering *methods*; return the Route."""
        if not pattern.startswith('/'):
            raise ValueError('route %r must start with "/"' % pattern)
        route = Route(fn, tuple(m.upper() for m in methods), pattern, stream)
        compiled = compile_pattern(pattern, self.converters)
        names = compiled[1] if compiled else ()
        problem = call_problem(fn, names)
        if problem is not None:
            wanted = ', '.join(('request',) + names)
            raise TypeError('handler %s cannot take the arguments of route %r (%s): write '
                            'def %s(%s)' % (route.name, pattern, problem, route.name, wanted))
        if compiled is None:
            table = self.static.setdefault(pattern, {})
        else:
            for entry in self.dynamic:
                if entry[0] == pattern:
                    table = entry[4]
                    break
            else:
                table = {}
                self.dynamic.append((pattern,) + compiled + (table,))
        for method in route.methods:
            table[method] = route
        return route

    def add_converter(self, name, regex, convert=str):
        """Register converter *name*: *regex* (without groups) and a
        conversion function that may raise ValueError to refuse a value."""
        if '(' in regex.replace('\\(', ''):
            raise ValueError('converter regex must not contain groups')
        self.converters[name] = (regex, convert)

    def mount(self, prefix, app):
        """Send requests under *prefix* to *app*."""
        prefix = '/' + prefix.strip('/')
        if prefix == '/':
            raise ValueError('mount prefix must not be "/"')
        self.mounts.append((prefix, app))
        self.mounts.sort(key=lambda m: -len(m[0]))

    def add_class_routes(self, app, base):
        """Make every public method that ``type(app)`` adds to *base* a route."""
        skip = set(dir(base))
        for name in dir(type(app)):
            if name.startswith('_') or name in skip:
                continue
            method = getattr(app, name)
            if callable(method) and not isinstance(method, type):
                from ._class_routes import ClassRoute  # loaded only by class-style apps
                route = ClassRoute(name, method, getattr(type(app), name), type(app).__name__)
                self.class_routes['' if name == 'index' else name] = route

    def resolve(self, method, path):
        """Return ``(route, path_args)``, raising 404 or 405 (with Allow)."""
        table = self.static.get(path)
        allowed = None
        if table is not None:
            route = table.get(method) or (table.get('GET') if method == 'HEAD' else None)
            if route is not None:
                return route, {}
            allowed = list(table)
        for entry in self.dynamic:
            m = entry[1].match(path)
            if m is None:
                continue
            table = entry[4]
            route = table.get(method) or (table.get('GET') if method == 'HEAD' else None)
            if route is None:
                allowed = (allowed or []) + list(table)
                continue
            try:
                args = {}
                names, conversions = entry[2], entry[3]
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
        allow = _allow_header(allowed)
        if method == 'OPTIONS':
            return Route(lambda request: _options_response(allow), ('OPTIONS',), path,
                         kind='inline'), {}
        raise HTTPError(405, headers={'Allow': allow})

    def allowed_methods(self, path):
        """The Allow header value for *path*, or None if nothing matches it."""
        try:
            route, _ = self.resolve('OPTIONS', path)
        except HTTPError as exc:
            return exc.headers and exc.headers.get('Allow')
        return _allow_header(route.methods)

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


def _allow_header(methods):
    allowed = set(methods)
    if 'GET' in allowed:
        allowed.add('HEAD')
    allowed.add('OPTIONS')
    return ', '.join(sorted(allowed))


def _options_response(allow):
    from .response import Response
    return Response(b'', 204, {'Allow': allow})


def _describe_table(pattern, table):
    seen = {}
    for method, route in table.items():
        seen.setdefault(id(route), (route, []))[1].append(method)
    return [(tuple(ms), pattern, route.name) for route, ms in seen.values()]


def plugdot_resolve(request):
    """The built-in router: the app's routes for the request's path."""
    return (request.mounted_app or request.app).router.resolve(request.method, request.route_path)
