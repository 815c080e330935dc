"""The shared multipart corpus through every parser this interpreter has
(the portable one everywhere, python-multipart on CPython): sans-IO at
several piece sizes, then through an app and the TestClient (portable)."""
import binascii
import json
import sys

from plugdot import REQUIRED, App, register_signature
from plugdot._compat import register_method_signature
from plugdot.testing import TestClient
from plugdot_uploads import Upload
from plugdot_uploads.parser import DATA, END, PART, MultipartError, Parser

from .corpus import BOUNDARY, CT, MALFORMED, PARSER_MALFORMED, VALID, field, many

MICROPYTHON = sys.implementation.name == 'micropython'
PARSERS = ['portable'] if MICROPYTHON else ['portable', 'python-multipart']
PIECES = (1, 3, 17, 100, 1 << 20)


def new_parser(kind):
    if kind == 'portable':
        return Parser(BOUNDARY, 4096, 8)
    from plugdot_uploads._pm import PMParser
    return PMParser(BOUNDARY, 4096, 8)


def collect(kind, body, piece):
    """The parts as [(headers, content)]; MultipartError if malformed."""
    parser = new_parser(kind)
    parts = []
    for i in range(0, len(body), piece):
        for event, value in parser.feed(body[i:i + piece]):
            if event == PART:
                parts.append((value, []))
            elif event == DATA:
                assert value, 'empty DATA event'
                parts[-1][1].append(value)
            else:
                assert event == END
    parser.close()
    return [(h, b''.join(c)) for h, c in parts]


def test_valid_bodies_parse_alike_in_any_pieces():
    for name, (body, form, files) in VALID.items():
        reference = None
        for kind in PARSERS:
            for piece in PIECES:
                try:
                    got = collect(kind, body, piece)
                except MultipartError as exc:
                    raise AssertionError('%s: %s in pieces of %d: %s' % (name, kind, piece, exc))
                if reference is None:
                    reference = got
                    assert len(got) == len(form) + len(files), name
                assert got == reference, '%s: %s in pieces of %d differs' % (name, kind, piece)


def test_malformed_bodies_fail_in_any_pieces():
    for name in PARSER_MALFORMED:
        body = MALFORMED[name]
        for kind in PARSERS:
            for piece in PIECES:
                try:
                    collect(kind, body, piece)
                except MultipartError as exc:
                    assert exc.status == 400, name
                else:
                    raise AssertionError('%s: %s in pieces of %d parsed' % (name, kind, piece))


def make_app(parser, **config):
    config['uploads_parser'] = parser
    app = App(config=config, plugins=['plugdot_uploads'])

    @app.post('/echo')
    async def echo(request):
        files = []
        for name, upload in request.files.items_all():
            data = upload.read()
            files.append([name, upload.filename, upload.raw_filename, upload.content_type,
                          upload.size, binascii.hexlify(data).decode()])
        return {'form': [list(p) for p in request.form.items_all()], 'files': files,
                'tags': request.form.getlist('tag'), 'docs': [f.filename for f in request.files.getlist('doc')]}

    @app.post('/count')
    async def count(request):
        return {'n': len(request.form.items_all()), 'last': request.form.get('f9999')}

    @app.post('/stream-count', stream=True)
    async def stream_count(request):
        n, last = 0, None
        async for part in request.parts():
            n += 1
            last = await part.text()
        return {'n': n, 'last': last}
    return app


def post(client, body, content_type=CT, headers=None, path='/echo'):
    all_headers = {'Content-Type': content_type}
    all_headers.update(headers or {})
    return client.post(path, body=body, headers=all_headers)


def test_valid_bodies_through_the_app():
    for kind in PARSERS:
        client = TestClient(make_app(kind))
        for name, (body, form, files) in VALID.items():
            r = post(client, body)
            assert r.status_code == 200, (kind, name, r.status_code, r.text)
            got = r.json()
            # sorted: MicroPython's dicts do not keep insertion order across keys
            assert sorted(got['form']) == sorted([list(p) for p in form]), (kind, name, got['form'])
            want = [[f, fn, raw, ct, len(data), binascii.hexlify(data).decode()]
                    for f, fn, raw, ct, data in files]
            assert sorted(got['files']) == sorted(want), (kind, name, got['files'])
            assert got['tags'] == [v for k, v in form if k == 'tag'], (kind, name)
            assert got['docs'] == [fn for f, fn, raw, ct, data in files if f == 'doc'], (kind, name)


def test_every_malformed_body_is_a_400():
    for kind in PARSERS:
        client = TestClient(make_app(kind))
        for name, body in MALFORMED.items():
            r = post(client, body)
            assert r.status_code == 400, (kind, name, r.status_code, r.text)
            assert 'multipart' in r.text.lower() or 'utf-8' in r.text.lower(), (kind, name, r.text)


def test_content_type_without_a_usable_boundary_is_a_400():
    body = field('a', '1') + b'--' + BOUNDARY.encode() + b'--\r\n'
    for kind in PARSERS:
        client = TestClient(make_app(kind))
        for ct in ('multipart/form-data', 'multipart/form-data; boundary=',
                   'multipart/form-data; boundary=' + 'x' * 71):
            r = post(client, body, ct)
            assert r.status_code == 400 and 'boundary' in r.text, (kind, ct, r.text)


def test_ten_thousand_tiny_parts():
    body = many(10000)
    for kind in PARSERS:
        parser, count, last = new_parser(kind), 0, None
        for i in range(0, len(body), 1 << 16):
            for event, value in parser.feed(body[i:i + (1 << 16)]):
                count += event == PART
                last = value if event == DATA else last
        parser.close()
        assert count == 10000 and last == b'9999', kind
        r = post(TestClient(make_app(kind, uploads_max_body_size=1 << 21, uploads_max_parts=1000)), body)
        assert r.status_code == 413 and '1000 parts' in r.text, (kind, r.status_code, r.text)
        big = dict(uploads_max_parts=10000, uploads_max_body_size=1 << 21)
        r = post(TestClient(make_app(kind, **big)), body, path='/stream-count')
        assert r.status_code == 200 and r.json() == {'n': 10000, 'last': '9999'}, (kind, r.text)
        if not MICROPYTHON:  # 10,000 fields in a MultiDict take more than the lane's 4 MB heap
            r = post(TestClient(make_app(kind, **big)), body, path='/count')
            assert r.status_code == 200 and r.json() == {'n': 10000, 'last': '9999'}, (kind, r.text)


def test_limits_are_413():
    for kind in PARSERS:
        client = TestClient(make_app(kind, uploads_max_file_size=10, uploads_max_field_size=5,
                                     uploads_max_body_size=2000))
        from .corpus import END, file
        assert post(client, file('f', 'a', b'x' * 10) + END).status_code == 200
        r = post(client, file('f', 'a', b'x' * 11) + END)
        assert r.status_code == 413 and 'larger than 10' in r.text, r.text
        assert post(client, field('a', '12345') + END).status_code == 200
        r = post(client, field('a', '123456') + END)
        assert r.status_code == 413 and 'larger than 5' in r.text, r.text
        r = post(client, field('a', '1') + b'x' * 3000 + END)
        assert r.status_code == 413, r.text
        assert 'uploads_max_body_size: 2000 bytes' in r.text, r.text  # which limit


class Site(App):
    async def upload(self, doc, title='untitled'):
        return {'title': title, 'name': doc.filename, 'data': doc.read().decode()}


if MICROPYTHON:  # no inspectable signatures there (a bundle records them)
    register_signature(Site.upload, [('doc', REQUIRED), ('title', 'untitled')])


def test_class_style_methods_bind_files_by_name():
    for kind in PARSERS:
        client = TestClient(Site(config={'uploads_parser': kind}, plugins=['plugdot_uploads']))
        r = client.post('/upload', files={'doc': ('../notes.txt', b'hi there', 'text/plain')},
                        data={'title': 'Notes'})
        assert r.status_code == 200, r.text
        assert r.json() == {'title': 'Notes', 'name': 'notes.txt', 'data': 'hi there'}
        r = client.post('/upload', data={'title': 'Notes'}, files={})
        assert r.status_code == 400 and 'doc' in r.text


class Avatars(App):
    async def avatar(self, picture: Upload, caption=''):      # must be a file
        return {'saved': picture.filename, 'size': picture.size, 'caption': caption}

    async def loose(self, picture, caption=''):               # a file when one is sent
        return {'file': hasattr(picture, 'filename'), 'caption': caption}


if MICROPYTHON:  # what `plugdot bundle` records: the names, defaults and 'a file'
    register_method_signature('Avatars', 'avatar', [('picture', REQUIRED), ('caption', '')],
                              {'picture': 'a file'})
    register_method_signature('Avatars', 'loose', [('picture', REQUIRED), ('caption', '')])

PNG = {'picture': ('p.png', b'PNG', 'image/png')}


def test_class_style_files_win_and_an_upload_annotation_requires_one():
    for kind in PARSERS:
        client = TestClient(Avatars(config={'uploads_parser': kind}, plugins=['plugdot_uploads']))
        ok = {'saved': 'p.png', 'size': 3, 'caption': ''}
        assert client.post('/avatar', files=PNG).json() == ok
        # a query value or a path segment of the same name does not shadow the file
        assert client.post('/avatar?picture=x', files=PNG).json() == ok
        assert client.post('/avatar/hi', files=PNG).json() == dict(ok, caption='hi')
        # text where the annotation requires a file: a 400 naming it, never a 500
        for r in (client.post('/avatar', data={'picture': 'not a file'}),
                  client.post('/avatar?picture=x'),
                  client.post('/avatar/x'),
                  client.post('/avatar', json={'picture': 'x'}),
                  client.post('/avatar', data={'picture': 'x'}, files={'other': ('o', b'o')})):
            assert r.status_code == 400 and "'picture' must be a file" in r.text, r.text
        r = client.post('/avatar', data={'caption': 'c'})
        assert r.status_code == 400 and "Missing required argument 'picture'" in r.text
        # without the annotation a file still wins; text binds as text
        assert client.post('/loose?picture=x', files=PNG).json() == {'file': True, 'caption': ''}
        assert client.post('/loose', data={'picture': 't'}).json() == {'file': False,
                                                                       'caption': ''}


def test_testclient_builds_multipart_bodies():
    client = TestClient(make_app('portable'))
    r = client.post('/echo', data={'tag': ['a', 'b'], 'q': 'say "hi"'},
                    files={'f': [('a.txt', b'1'), ('b.txt', 'two', 'text/plain')], 'raw': b'\x00\x01'})
    assert r.status_code == 200, r.text
    got = r.json()
    assert sorted(got['form']) == [['q', 'say "hi"'], ['tag', 'a'], ['tag', 'b']]
    assert got['tags'] == ['a', 'b']
    assert sorted([f[:5] for f in got['files']]) == [
        ['f', 'a.txt', 'a.txt', 'application/octet-stream', 1],
        ['f', 'b.txt', 'b.txt', 'text/plain', 3],
        ['raw', 'raw', 'raw', 'application/octet-stream', 2]]


def test_streamed_parts():
    app = App(config={'uploads_parser': 'portable', 'uploads_max_body_size': 1 << 20,
                      'uploads_max_file_size': 1 << 20}, plugins=['plugdot_uploads'])

    @app.post('/stream', stream=True)
    async def stream(request):
        out = []
        async for part in request.parts():
            if part.filename is None:
                out.append([part.name, await part.text()])
            elif part.name == 'skip':
                continue  # never read: skipped by the next iteration
            else:
                size = 0
                async for chunk in part:
                    size += len(chunk)
                out.append([part.name, part.filename, size])
        return out

    client = TestClient(app)
    r = client.post('/stream', data={'a': 'x'}, files={'skip': ('s.bin', b's' * 5000),
                                                      'f': ('../f.bin', b'f' * 70000)})
    assert r.status_code == 200, r.text
    got = r.json()
    assert ['a', 'x'] in got and ['f', 'f.bin', 70000] in got and len(got) == 2, got
    r = client.post('/stream', body=MALFORMED['truncated in a part'], headers={'Content-Type': CT})
    assert r.status_code == 400, r.text
    assert json.loads(TestClient(app).post('/stream', body=b'--' + BOUNDARY.encode() + b'--',
                                           headers={'Content-Type': CT}).text) == []
