"""JSON responses are UTF-8, the same on CPython (with or without orjson)
and on a board: non-ASCII characters as themselves, only JSON's own
escapes. Portable: runs under CPython and MicroPython."""
from plugdot.testing import TestClient

from .helpers import make_app

VALUE = ['caf\u00e9', '\U0001F600 \u4e2d', '\x01\n\t\r', '\x7f', '"\\', '\u2028', '/', 1.5, None]
BYTES = (b'["caf\xc3\xa9","\xf0\x9f\x98\x80 \xe4\xb8\xad","\\u0001\\n\\t\\r","\x7f",'
         b'"\\"\\\\","\xe2\x80\xa8","/",1.5,null]')


def test_a_returned_list_is_utf8_json():
    app = make_app()

    @app.get('/v')
    async def v(request):
        return VALUE

    r = TestClient(app).get('/v')
    assert r.status_code == 200 and r.headers['content-type'] == 'application/json'
    assert r.body == BYTES, r.body
    assert r.headers['content-length'] == str(len(BYTES))


def test_a_utf8_body_comes_back_as_it_was_sent():
    app = make_app()

    @app.post('/echo')
    async def echo(request):
        return request.json

    r = TestClient(app).post('/echo', body=BYTES, headers={'Content-Type': 'application/json'})
    assert r.status_code == 200 and r.body == BYTES, r.body
