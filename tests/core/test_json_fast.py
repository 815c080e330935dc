"""JSON with orjson installed (``plugdot[fast]``) gives the standard
library's bytes exactly, for a corpus of values; where orjson would differ
the standard library does the work."""
import dataclasses
import datetime
import decimal
import enum
import json
import math

import pytest

from plugdot import App, _compat
from plugdot.testing import TestClient

orjson = pytest.importorskip('orjson')


class Color(enum.IntEnum):
    RED = 1


class Name(str):
    pass


@dataclasses.dataclass
class Point:
    x: int


CORPUS = [
    {}, [], 0, -1, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63, -2 ** 64 - 1, 10 ** 30, True, False, None,
    0.0, -0.0, 1.5, 0.1 + 0.2, 1e16, 1.5e16, 1e15, 1e-4, 9.999e-5, 1e-5, 1.23e-5, 1.5e-7, 1e-10,
    1e-300, 5e-324, 1.7976931348623157e308, 123456789012345678.0, math.nan, math.inf, -math.inf,
    '', 'plain', 'quote " backslash \\ slash /', 'tab\tnl\nret\rbs\bff\f', '\x00\x01\x1f', 'del \x7f',
    'caf\u00e9', '\u2028\u2029', 'emoji \U0001F600', '\ud800 lone surrogate', '</script>',
    'e-mail 1e-5 0.00001 null', {'a': None}, {'a': [1, 2, {'b': 'c'}]}, (1, 2), [(1,), ()],
    {1: 'int key'}, {1.5: 'float key'}, {True: 'bool key'}, {None: 'none key'}, {'é': 'x'},
    Color.RED, {'c': Color.RED}, {'n': None, 'x': [1.5, {'y': math.nan}]}, [None, (math.inf,)],
    {'n': None, 'c': Color.RED}, [None, Name('s')], Name('sub'), {'k': Name('v')}, [1.0, 2.50, -3.25e-3],
    {'nested': [[[[[[1]]]]]]}, {'id': 1, 'name': 'Ann', 'tags': ['a', 'b'], 'score': 98.5},
    list(range(100)), {'s%d' % i: i * 1.1 for i in range(50)},
]
UNSERIALIZABLE = [Point(1), datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1),
                  decimal.Decimal('1.5'), {1, 2}, object(), b'bytes']


@pytest.fixture(scope='module')
def encoders():
    stdlib = _compat._stdlib_json_dumps()
    return stdlib, _compat._orjson_dumps(orjson, stdlib)


def reference(value):
    """json.dumps's compact text, with NaN and Infinity as null (JSON has
    no such numbers: json writes NaN, which JSON.parse refuses)."""
    text = json.dumps(value, separators=(',', ':'))
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        def finite(v):
            if isinstance(v, float):
                return v if math.isfinite(v) else None
            if isinstance(v, dict):
                return {(json.dumps(k).strip('"') if isinstance(k, float) else k): finite(x)
                        for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [finite(x) for x in v]
            return v
        text = json.dumps(finite(value), separators=(',', ':'))
    return text


@pytest.mark.parametrize('value', CORPUS, ids=[repr(v)[:30] for v in CORPUS])
def test_identical_bytes(encoders, value):
    stdlib, fast = encoders
    assert fast(value) == stdlib(value) == reference(value)


def test_nan_and_infinity_are_null_with_both(encoders):
    for encode in encoders:
        assert encode([math.nan, math.inf, -math.inf, 1.5]) == '[null,null,null,1.5]'
        assert encode({'a': {'b': (math.nan,)}, math.inf: 1}) == '{"a":{"b":[null]},"Infinity":1}'


@pytest.mark.parametrize('value', UNSERIALIZABLE, ids=[type(v).__name__ for v in UNSERIALIZABLE])
def test_same_refusals(encoders, value):
    stdlib, fast = encoders
    for encode in (stdlib, fast):
        with pytest.raises(TypeError):
            encode(value)


def test_orjson_does_the_usual_work(monkeypatch):
    calls = []

    def stdlib(value):
        calls.append(value)
        return 'stdlib'
    fast = _compat._orjson_dumps(orjson, stdlib)
    assert fast({'id': 1, 'name': 'Ann', 'score': 98.5, 'tags': ['a']}) == \
        '{"id":1,"name":"Ann","score":98.5,"tags":["a"]}'
    assert calls == []
    assert fast({'a': None, 'b': [1.5, math.nan]}) == '{"a":null,"b":[1.5,null]}'
    assert fast('caf\u00e9') == 'stdlib' and fast(1e-5) == 'stdlib' and fast({1: 2}) == 'stdlib'


LOADS = [b'{"a":1}', b'[1,2.5,-0,1e400,-1e400]', b'NaN', b'[Infinity]', b'123456789012345678901234567890',
         b'[-9223372036854775809,18446744073709551616,18446744073709551615,-9223372036854775808]',
         b'"\\ud800"', b'"caf\xc3\xa9"', '"caf\u00e9"', b'\xef\xbb\xbf{"bom":1}',
         '{"utf16":1}'.encode('utf-16'), b'{"a":1,"a":2}', b' [1] ', b'{"x":1.0e-7}', b'"\\u0000"', '"\ud800 raw"']


@pytest.mark.parametrize('text', LOADS, ids=[repr(t)[:30] for t in LOADS])
def test_loads_as_the_standard_library(text):
    expected = json.loads(text)
    got = _compat._make_json_loads()(text)
    assert repr(got) == repr(expected)  # repr: NaN != NaN


@pytest.mark.parametrize('text', [b'', b'{', b'[1,]', b'\xff', b'{"a" 1}', b'01'])
def test_loads_refuses_as_the_standard_library(text):
    with pytest.raises(ValueError):
        _compat._make_json_loads()(text)
    with pytest.raises(ValueError):
        json.loads(text)


def test_responses_and_request_bodies():
    app = App()

    @app.post('/echo')
    async def echo(request):
        return request.json

    value = {'id': 1, 'tiny': 1e-5, 'name': 'caf\u00e9', 'none': None, 'list': [1.5, 2]}
    r = TestClient(app).post('/echo', json=value)
    assert r.status_code == 200
    assert r.body == json.dumps(value, separators=(',', ':')).encode()
    assert TestClient(app).post('/echo', body=b'{bad', headers={'content-type': 'application/json'}).status_code == 400


def test_what_only_orjson_writes(encoders):
    # The one known difference, documented in docs/architecture.md: values
    # json refuses that orjson writes natively.
    import uuid

    class Plain(enum.Enum):
        A = 'x'
    stdlib, fast = encoders
    for value, text in ((uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'), (Plain.A, '"x"')):
        with pytest.raises(TypeError):
            stdlib(value)
        assert fast(value) == text
