"""JSON from clients is parsed with a nesting limit (``max_json_depth``).
Portable: runs under CPython and MicroPython."""
from plugdot.jsonlimit import TooDeep, loads
from plugdot.testing import TestClient

from .helpers import make_app, raises


def deep(n):
    return b'[' * n + b']' * n


def test_loads_refuses_only_what_nests_too_deep():
    assert loads(deep(5), 5) == [[[[[]]]]]
    assert loads(b'{"a": {"b": [1, {"c": 2}]}}', 4) == {'a': {'b': [1, {'c': 2}]}}
    raises(TooDeep, loads, deep(6), 5)
    raises(TooDeep, loads, b'{"a": {"b": [1, {"c": []}]}}', 4)
    # brackets in strings and escaped quotes are not nesting
    assert loads(b'["[[[[[[", "\\\\", "\\"[[[[[[[", [[1]]]', 3) == ['[[[[[[', '\\', '"[[[[[[[', [[1]]]
    assert loads(b'[' + b'[1],' * 50 + b'[2]]', 2)[-1] == [2]  # many, but shallow
    raises(ValueError, loads, b'[1,', 5)  # invalid JSON is still a ValueError


def test_a_deeply_nested_json_body_is_a_400():
    app = make_app(max_json_depth=8)

    @app.post('/j')
    async def j(request):
        return {'got': request.json}

    client = TestClient(app)
    assert client.post('/j', body=deep(8), headers={'Content-Type': 'application/json'}
                       ).status_code == 200
    for n in (9, 2000):  # 2000: a RecursionError in CPython's parser, a full heap in MicroPython's
        r = client.post('/j', body=deep(n), headers={'Content-Type': 'application/json'})
        assert r.status_code == 400 and 'nested deeper than 8 levels' in r.text, r.text
