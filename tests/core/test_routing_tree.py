"""The tree of leading static segments that CPython uses to find the dynamic
routes a path can match gives exactly what trying every route in order
gives: same route, same arguments, same 404/405 and Allow, same precedence."""
import itertools

import pytest

from plugdot import HTTPError, routing
from plugdot.routing import Router

PATTERNS = [
    ('/<lang>/about', ('GET',)), ('/docs/<page>', ('GET',)), ('/docs/<int:n>', ('GET',)),
    ('/docs/<int:n>', ('POST',)), ('/api/v1/users/<int:id>', ('GET', 'PUT')),
    ('/api/v1/users/<name>', ('GET',)), ('/api/v1/users/<int:id>/posts', ('GET',)),
    ('/api/v2/<path:rest>', ('GET',)), ('/files/<path:p>', ('GET',)), ('/x<int:n>', ('GET',)),
    ('/a/b/<c>', ('DELETE',)), ('/a/<b>/c', ('GET',)), ('/<re:[a-z]+/[0-9]+:combo>', ('GET',)),
    ('/files/<name>.txt', ('POST',)), ('/users/<int:id>', ('GET',)), ('/users/<float:x>', ('GET',)),
    ('/<a>/<b>/<c>', ('PATCH',)), ('/docs', ('GET',)), ('/api/v1/users', ('GET',)),
]
PATHS = ['/en/about', '/docs/intro', '/docs/42', '/docs', '/docs/', '/api/v1/users/7',
         '/api/v1/users/ann', '/api/v1/users/7/posts', '/api/v1/users', '/api/v2/a/b/c', '/api/v2/',
         '/files/a/b.txt', '/files/b.txt', '/x12', '/x', '/a/b/c', '/a/z/c', '/abc/123', '/abc/12x',
         '/users/1', '/users/1.5', '/users/-3', '/p/q/r', '/', '/nothing/here', '/api//v1/users/1',
         '/en/about/', '/a/b', '/docs/%2F']
METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']


def outcome(router, method, path):
    try:
        route, args = router.resolve(method, path)
    except HTTPError as exc:
        return exc.status, exc.headers and exc.headers.get('Allow')
    if route.methods == ('OPTIONS',):
        return 'options', route.fn(None).headers.get('Allow')
    return route.fn, args


def build(patterns):
    router = Router()
    handlers = {}
    for i, (pattern, methods) in enumerate(patterns):
        def handler(request, **kw):
            return kw
        handler.__name__ = 'h%d' % i
        router.add(pattern, handler, methods)
        handlers[i] = handler
    return router


@pytest.mark.parametrize('order', range(4))
def test_tree_resolves_as_trying_every_route_in_order(order, monkeypatch):
    patterns = list(PATTERNS)
    if order:  # other orders of registration: precedence follows the order
        patterns = list(itertools.permutations(patterns[:6]))[order * 97] + tuple(patterns[6:])
    router = build(patterns)
    expected = {}
    monkeypatch.setattr(routing, '_SCAN', 10 ** 6)  # try every route in order
    for method in METHODS:
        for path in PATHS:
            expected[method, path] = outcome(router, method, path)
    monkeypatch.setattr(routing, '_SCAN', 0)  # always the tree
    router._tree = None
    for method in METHODS:
        for path in PATHS:
            assert outcome(router, method, path) == expected[method, path], (method, path)
    assert router._tree is not None


def test_tree_is_rebuilt_when_routes_are_added(monkeypatch):
    monkeypatch.setattr(routing, '_SCAN', 0)
    router = build(PATTERNS)
    assert outcome(router, 'GET', '/zz9/1')[0] == 404
    router.add('/zz9/<int:id>', lambda request, id: id, ('GET',))
    assert outcome(router, 'GET', '/zz9/1')[1] == {'id': 1}


def test_many_routes_each_found():
    router = Router()
    for i in range(500):
        router.add('/things%d/<int:id>' % i, lambda request, id, i=i: (i, id), ('GET',))
    for i in (0, 49, 250, 499):
        route, args = router.resolve('GET', '/things%d/7' % i)
        assert route.fn(None, **args) == (i, 7)
    with pytest.raises(HTTPError):
        router.resolve('GET', '/things500/7')
