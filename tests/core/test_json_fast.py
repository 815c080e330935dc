"""JSON with orjson installed (``plugdot[fast]``) gives the same bytes as
without it, for a corpus of values: UTF-8 (non-ASCII characters as
themselves, a lone surrogate as its \\u escape), compact, floats as
Python's repr, NaN and Infinity as null. Where orjson would differ the
standard library does the work."""
import dataclasses
import datetime
import decimal
import enum
import json
import math
import re

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
    '\udfff', 'pair halves \ud83d\ude00', {'\udc80': '\ud800'}, ['\x7f', '\x1f\x7f\x80\x9f'],
    '\u0100\uffff\U0010ffff', '\\\ud800', {'\u00e9\u4e2d': ['\U0001F600', 1e-5]},
    'e-mail 1e-5 0.00001 null', {'a': None}, {'a': [1, 2, {'b': 'c'}]}, (1, 2), [(1,), ()],
    {1: 'int key'}, {1.5: 'float key'}, {True: 'bool key'}, {None: 'none key'}, {'é': 'x'},
    {1: '\u00e9'}, [Name('\u00e9'), Name('\ud800')],
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
    """What plugdot writes, defined from json.dumps: compact, UTF-8
    (``ensure_ascii=False``), NaN and Infinity as null (JSON has no such
    numbers: json writes NaN, which JSON.parse refuses), and a lone
    surrogate (which UTF-8 cannot hold) as its \\u escape."""
    text = json.dumps(value, separators=(',', ':'), ensure_ascii=False)
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
        text = json.dumps(finite(value), separators=(',', ':'), ensure_ascii=False)
    return re.sub('[\ud800-\udfff]', lambda m: '\\u%04x' % ord(m.group()), text)


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
    assert fast(['caf\u00e9', '\x7f', '\U0001F600']) == '["caf\u00e9","\x7f","\U0001F600"]'
    assert calls == []  # UTF-8 and DEL are written as orjson writes them
    assert fast('\ud800') == 'stdlib' and fast(1e-5) == 'stdlib' and fast({1: 2}) == 'stdlib'


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
    assert r.body == reference(value).encode()
    assert r.body.decode('utf-8') == '{"id":1,"tiny":1e-05,"name":"caf\u00e9","none":null,"list":[1.5,2]}'
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


# -- the bytes encoder a response sends, and the parser's checks ------------

@pytest.fixture(scope='module')
def body_encoder():
    return _compat._orjson_dumps(orjson, _compat._stdlib_json_dumps(False), text=False)


@pytest.mark.parametrize('value', CORPUS, ids=[repr(v)[:30] for v in CORPUS])
def test_response_bytes_are_the_reference(body_encoder, value):
    out = body_encoder(value)
    assert type(out) is bytes and out == reference(value).encode()


# Where the checks look: an "e-" or "0.0000" in a string before or after the
# float that differs, several floats, the float first or last.
TRICKY = [
    ['one-e-x', 1.5e-7], [1.5e-7, 'one-e-x'], ['e-1x', 1e-10], ['e-1', 'e-12', 2.5e-8],
    {'s': 'time-2', 'f': 3e-6}, ['0.0000', 0.5], ['0.00001', 1.5e-5], [1.5e-5, '0.0000'],
    [1e-4, 1e-3, 0.5, 1e-5], [9.5e-5, 'x' * 2000], ['x' * 2000, 9.5e-5], ['x' * 2000, 1e-9],
    ['\x7f' + 'x' * 100], ['x' * 100 + '\x7f'], ['x' * 100 + '\u00e9'], [-1.5e-7, -2e-5],
    {'a': 'e-5', 'b': 1e-15}, [1e-9, 1e-10, 1e-11], 'e-', 'e-9', '1e-9',
    ['x' * 2000 + '\ud800'], ['\ud800', 1e-5], [1e-7, '\u00e9' * 500], ['\u00e9', '\udfff', 1.5],
    [-9.99e-6, 'caf\u00e9 e-5'], {'\x7f': '\x00', '\u00e9': 1e-8},
    -1.5e-7, -2e-5, 1e-7, 2e-5, ['a.b-c', 1e-7], ['x.', 2e-5], ['-', '.', [3e-6]], [0.5, -1, 1e-8],
]


@pytest.mark.parametrize('value', TRICKY, ids=[repr(v)[:30] for v in TRICKY])
def test_tricky_bytes(encoders, body_encoder, value):
    assert body_encoder(value) == reference(value).encode()
    assert encoders[1](value) == reference(value)


def _random_value(rng, depth=0):
    kind = rng.randrange(10 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([0, -1, 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63, -2 ** 63 - 1,
                           rng.randrange(-10 ** 25, 10 ** 25), rng.randrange(-1000, 1000)])
    if kind == 1:  # floats across the magnitudes where the formats differ
        return rng.choice([1, -1]) * rng.random() * 10.0 ** rng.randrange(-12, 20)
    if kind == 2:
        return rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-4, 1e16])
    if kind == 3:
        chars = ('ae-0.1[{"\\/\x00\x08\x0c\t\n\x1f\x7f\x80\u00e9\u2028\u4e2d\uffff'
                 '\U0001F600\U0010ffff\ud800\udbff\udc00\udfff ')
        return ''.join(rng.choice(chars) for _ in range(rng.randrange(12)))
    if kind == 4:
        return rng.choice([None, True, False, Name('sub'), Color.RED])
    if kind == 5:
        return ''.join(rng.choice('abcxyz-.e0123456789') for _ in range(rng.randrange(30)))
    if kind in (6, 7):
        items = [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
        return tuple(items) if kind == 7 else items
    keys = [rng.choice(['k', 'e-5', '0.00001', 1, 1.5, None, True, Name('n'), '\u00e9', '\x7f',
                        '\ud800', '\U0001F600', Name('\u00e9')])
            for _ in range(rng.randrange(5))]
    return {k: _random_value(rng, depth + 1) for k in keys}


def test_random_values_encode_the_same_with_and_without_orjson(encoders, body_encoder):
    import random
    rng = random.Random(22)
    stdlib_body = _compat._stdlib_json_dumps(False)
    differ = 0  # values whose bytes orjson alone writes otherwise (or refuses)
    for _ in range(3000):
        value = _random_value(rng)
        expected = reference(value)
        out = body_encoder(value)
        assert out == stdlib_body(value) == expected.encode(), value
        assert encoders[1](value) == encoders[0](value) == expected, value
        out.decode('utf-8')  # strict: always valid UTF-8
        try:
            differ += orjson.dumps(value, None, orjson.OPT_PASSTHROUGH_SUBCLASS) != out
        except TypeError:
            differ += 1
    assert differ > 300  # the corpus does reach what the checks are for


def test_the_checks_are_needed(body_encoder):
    # Bare orjson writes these otherwise or refuses them: a check removed
    # from the encoder fails the tests above.
    for value in (1e-5, 9.99e-5, -1.5e-7, 1e-9, [1, 2.5e-6]):
        assert orjson.dumps(value) != reference(value).encode()
        assert body_encoder(value) == reference(value).encode()
    for value in ('\ud800', {'\udfff': 1}, 2 ** 64, {1: 2}, Name('x')):
        with pytest.raises(TypeError):
            orjson.dumps(value, None, orjson.OPT_PASSTHROUGH_SUBCLASS)
    assert body_encoder(['a\ud800b', '\u00e9']) == b'["a\\ud800b","\xc3\xa9"]'
    assert json.loads(body_encoder(['a\ud800b'])) == ['a\ud800b']


def _random_json(rng, depth=0):
    kind = rng.randrange(8 if depth < 5 else 5)
    if kind == 0:
        return rng.choice(['0', '-0', '1', '-1', '18446744073709551615', '18446744073709551616',
                           '-9223372036854775808', '-9223372036854775809', '1' * 19, '9' * 25,
                           '1.5', '1e400', '-1e400', '1E5', '1.0000000000000000000001',
                           '12345678901234567890.5', '5e-324', '2.5e-7', 'NaN', 'Infinity',
                           '-' + '9' * 18, '-1000000000000000000', '-' + '1' * 19, '9' * 20,
                           '-9' + '0' * 18, '-0.000012345', '[-1,-2]'])
    if kind == 1:
        return json.dumps(''.join(rng.choice('ab[{]}"\\0123456789- \u00e9\x7f\ud800\U0001F600')
                                  for _ in range(rng.randrange(25))),
                          ensure_ascii=rng.random() < 0.5)
    if kind == 2:
        return rng.choice(['"\\ud800"', '"\\u00e9"', '"caf\u00e9"', '"\\"[["', 'true', 'null',
                           '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\U0001F600\x7f"', '"a\\u0000"'])
    if kind in (3, 4):
        return str(rng.randrange(10 ** rng.randrange(1, 24)))
    if kind == 5:
        return '[' + ','.join(_random_json(rng, depth + 1) for _ in range(rng.randrange(5))) + ']'
    return '{' + ','.join('"k%d":%s' % (i, _random_json(rng, depth + 1))
                          for i in range(rng.randrange(5))) + '}'


def test_random_bodies_parse_as_the_standard_library():
    import random
    from plugdot.jsonlimit import TooDeep
    rng = random.Random(22)
    parse = _compat._make_json_loads()
    for _ in range(3000):
        text = _random_json(rng)
        for data in (text, text.encode('utf-8', 'surrogatepass')):
            try:
                expected = repr(json.loads(data))
            except ValueError:
                with pytest.raises(ValueError):
                    parse(data)
                continue
            assert repr(parse(data)) == expected, data
            depth = _depth(json.loads(data))
            if depth > 2:
                with pytest.raises(TooDeep):
                    parse(data, depth - 1)
            assert repr(parse(data, max(depth, 1))) == expected


def _depth(value):
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_the_parser_runs_without_a_call_between():
    # CPython: jsonlimit.loads is the core's parser itself (no frame between
    # request.json and the C calls), with the same checks.
    from plugdot import jsonlimit
    assert jsonlimit.loads is _compat.json_loader()
    assert repr(jsonlimit.loads(b'[18446744073709551616]', 5)) == '[18446744073709551616]'


def test_returned_values_are_sent_as_the_standard_librarys_bytes():
    app = App()
    values = [v for v in TRICKY + CORPUS if isinstance(v, (dict, list))]

    @app.get('/<int:i>')
    async def value(request, i):
        return values[i]

    client = TestClient(app)
    for i, v in enumerate(values):
        r = client.get('/%d' % i)
        assert r.status_code == 200 and r.headers['content-type'] == 'application/json'
        assert r.body == reference(v).encode(), v
        assert r.headers['content-length'] == str(len(r.body))


def test_without_orjson_the_standard_library_alone(monkeypatch):
    # "pip install plugdot" without [fast]: the encoders and the parser are
    # the standard library's, with the same bytes and values.
    import builtins
    real_import = builtins.__import__

    def no_orjson(name, *args, **kwargs):
        if name == 'orjson':
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, '__import__', no_orjson)
    encode = _compat._make_json_dumps(text=False)
    parse = _compat._make_json_loads()
    assert getattr(parse, '__closure__', None) is not None
    for value in CORPUS + TRICKY:
        assert encode(value) == reference(value).encode()
    assert repr(parse(b'[18446744073709551616, 1.5, "caf\xc3\xa9"]', 3)) == \
        "[18446744073709551616, 1.5, 'café']"


def test_the_response_encoder_takes_its_own_place():
    # After its first use, _compat.json_body is the built encoder itself,
    # which returns orjson's bytes (no text in between).
    _compat.json_body({'a': 1})
    assert _compat.json_body is _compat._json_body
    assert _compat.json_body({'a': [1, 2.5]}) == b'{"a":[1,2.5]}'


def _floats_of_every_exponent(rng):
    # every binary exponent, subnormals included: its extremes and random
    # mantissas, and the neighbours of every power of ten
    import struct
    for exponent in range(2047):  # (2047: infinity and NaN)
        for mantissa in (0, 1, (1 << 52) - 1) + tuple(rng.getrandbits(52) for _ in range(24)):
            yield struct.unpack('<d', struct.pack('<Q', exponent << 52 | mantissa))[0]
    for power in range(-324, 309):
        x = float('1e%d' % power)
        yield from (x, math.nextafter(x, 0), math.nextafter(x, math.inf), 2.5 * x, 9.99 * x)


def test_orjson_floats_differ_from_repr_only_between_1e_10_and_1e_4():
    # What the encoder's two searches rest on, checked on real orjson: it
    # writes a float as repr does (same digits, same form) except for
    # 1e-10 < |x| < 1e-4, which it writes as "0.0000..." (exponent -5) or
    # with a one-digit exponent ("1e-7"), both of which the searches find.
    import random
    rng = random.Random(22)
    body = _compat._orjson_dumps(orjson, _compat._stdlib_json_dumps(False), False)
    checked = differ = 0
    for x in _floats_of_every_exponent(rng):
        if x != x or x in (math.inf, -math.inf):
            continue
        for value in (x, -x):
            out, expected = orjson.dumps(value), repr(value).encode()
            checked += 1
            if out != expected:
                differ += 1
                assert 1e-10 <= abs(value) < 1e-4, (value, out, expected)
                assert out.find(b'0.0000') >= 0 or re.search(rb'e-[0-9](?![0-9])', out), out
            assert body(value) == expected
            assert body([value, 'e-']) == b'[' + expected + b',"e-"]'
    assert checked > 100000 and differ > 500
