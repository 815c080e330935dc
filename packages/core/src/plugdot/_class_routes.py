"""Class-style routes: a public method of an ``App`` subclass as a route,
its arguments bound from path segments, query, form fields, uploaded files
and JSON fields.

Loaded on first use by :meth:`plugdot.routing.Router.add_class_routes`, so a
decorator-style app (and its MicroPython bundle) never carries it.
"""
from ._compat import REQUIRED, annotations, method_signature, signature
from .errors import HTTPError
from .routing import _CLASS_METHODS, _DEFAULT_CLASS_METHODS, Route

_TRUE = ('1', 'true', 'yes', 'on')
_FALSE = ('0', 'false', 'no', 'off', '')


def _to_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ValueError(value)


def _to_int(value):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(value)  # JSON true, 4.7 and null are not ints
    return int(value)


def _to_float(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(value)
    return float(value)


def _to_str(value):
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _to_file(value):
    if not getattr(value, 'plugdot_file', False):  # text where a file is required
        raise ValueError(value)
    return value


# Text from the path, query and forms, and values from a JSON body alike:
# a value that is not of the annotated type is a 400, never passed on. An
# annotation whose class has a true ``plugdot_file`` (plugdot_uploads.Upload)
# requires an uploaded file (under its own name: a bundle records it so).
_CONVERT = {int: _to_int, float: _to_float, str: _to_str, bool: _to_bool, 'a file': _to_file}
_TYPE_NAMES = {'int': int, 'float': float, 'str': str, 'bool': bool, 'a file': 'a file'}


class ClassRoute(Route):
    """A public method of an ``App`` subclass as a route: an uploaded file of
    a parameter's name binds first, then path segments positionally, then
    query, form fields and JSON fields by name (keyword-only parameters and
    those after ``*args``: by name only); defaults apply; a missing required
    argument is a 400 naming it, extra segments a 404."""

    def __init__(self, name, method, function, owner=None):
        pattern = '/' if name == 'index' else '/' + name
        Route.__init__(self, method, _CLASS_METHODS.get(function, _DEFAULT_CLASS_METHODS), pattern)
        self.call_kind = self.kind
        self.kind = 'class'
        self.name = name
        self.segment = '' if name == 'index' else name
        params = signature(function)
        hints = annotations(method) if params is not None else {}
        recorded = method_signature(owner, name) if params is None and owner is not None else None
        if recorded is not None:  # recorded by `plugdot bundle`
            params = recorded[0]
            hints = dict((n, _TYPE_NAMES[t]) for n, t in recorded[1].items())
        if params and params[0][0] == 'self':
            params = params[1:]
        elif params is not None and recorded is None and \
                getattr(method, '__func__', None) is function and \
                not any(n[0] == '*' and n != '*' for n, _ in params):
            # a plain method: Python passes the app as its first parameter (a
            # wrapper taking *args, as plugins' decorators make, passes it on)
            raise TypeError('class-style route %s.%s has no self: write def %s(self%s) '
                            '(or make it a @staticmethod)'
                            % (owner, name, name, ''.join(', ' + n for n, _ in params)))
        self.params = params
        self.converters = dict(
            (n, _CONVERT['a file' if getattr(t, 'plugdot_file', False) else t])
            for n, t in hints.items() if getattr(t, 'plugdot_file', False) or t in _CONVERT)
        for n, _ in params or ():
            if n[0] == '*':  # after *args or a bare *: bound by name only
                if n != '*':
                    self.pattern += '/<%s>' % n[1:]
                break
            self.pattern += '/<%s>' % n

    def bind(self, request):
        """Return ``(args, kwargs)`` for the method from *request*."""
        rest = request.route_path.lstrip('/')
        if self.segment or rest.partition('/')[0] == 'index':  # /index is index, as in MicroPie
            rest = rest.partition('/')[2]
        segments = [s for s in rest.split('/') if s] if rest else []
        if self.params is None:  # unknown signature (MicroPython without a bundle)
            return segments, {}
        args, kwargs = [], {}
        used = 0
        keyword = False  # past *args or a bare *: keyword-only, bound by name
        files = request._files  # filled by an uploads plugin
        for name, default in self.params:
            if name[0] == '*':
                if name != '*':
                    args.extend(self._convert(name[1:], s) for s in segments[used:])
                    used = len(segments)
                keyword = True
                continue
            if files and name in files:  # an uploaded file wins over path and query
                value, found = self._convert(name, files[name]), True
            elif used < len(segments) and not keyword:
                value, found = self._convert(name, segments[used]), True
                used += 1
            else:
                value, found = self._lookup(request, name)
            if not found:
                if default is REQUIRED:
                    raise HTTPError(400, 'Missing required argument %r' % name)
                continue
            if keyword or kwargs or len(args) != self._position(name):
                kwargs[name] = value
            else:
                args.append(value)
        if used < len(segments):
            raise HTTPError(404)
        return args, kwargs

    def _position(self, name):
        for i, (n, _) in enumerate(self.params):
            if n == name:
                return i
        return -1

    def _lookup(self, request, name):
        query = request.query
        if name in query:
            return self._convert(name, query[name]), True
        if request._body_loaded:
            form = request.form
            if name in form:
                return self._convert(name, form[name]), True
            if request.content_type == 'application/json':
                data = request.json
                if isinstance(data, dict) and name in data:
                    return self._convert(name, data[name]), True
        return None, False

    def _convert(self, name, value):
        convert = self.converters.get(name)
        if convert is None:
            return value
        try:
            return convert(value)
        except (ValueError, TypeError):
            raise HTTPError(400, 'Argument %r must be %s' % (name, self._type_name(name)))

    def _type_name(self, name):
        convert = self.converters[name]
        for t, c in _CONVERT.items():
            if c is convert:
                return getattr(t, '__name__', t)
        return 'valid'
