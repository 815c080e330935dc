"""Saving uploads (CPython): free space (507, no partial file), spooled
files moved into place, a disconnect in the middle of a streamed part,
app mistakes reported when the app is built."""
import asyncio
import os

import pytest
from plugdot import App
from plugdot.testing import TestClient, multipart_body
from plugdot_uploads import upload_limits


def make_app(tmp_path, **config):
    app = App(config=config, plugins=['plugdot_uploads'])

    @app.post('/save')
    async def save(request):
        f = request.files['f']
        spooled = f.spooled
        size = await f.save(str(tmp_path / 'saved.bin'))
        return {'size': size, 'spooled': spooled, 'read': len(f.read())}

    @app.post('/stream', stream=True)
    async def stream(request):
        async for part in request.parts():
            return {'size': await part.save(str(tmp_path / 'streamed.bin'))}
    return app


@pytest.mark.parametrize('route', ['/save', '/stream'])
def test_not_enough_free_space_is_507_without_a_partial_file(tmp_path, route):
    client = TestClient(make_app(tmp_path, uploads_min_free_space=1 << 62))
    r = client.post(route, files={'f': ('a.bin', b'x' * 1000)})
    assert r.status_code == 507, r.text
    assert sorted(os.listdir(tmp_path)) == []


def test_spooled_file_is_moved_into_place_and_memory_one_is_written(tmp_path):
    temp = tmp_path / 'spool'
    temp.mkdir()
    client = TestClient(make_app(tmp_path, uploads_spool_size=1000, uploads_temp_dir=str(temp)))
    data = os.urandom(5000)
    r = client.post('/save', files={'f': ('a.bin', data)})
    assert r.json() == {'size': 5000, 'spooled': True, 'read': 5000}
    assert (tmp_path / 'saved.bin').read_bytes() == data
    assert os.listdir(temp) == []  # moved, not copied
    r = client.post('/save', files={'f': ('a.bin', b'small')})
    assert r.json() == {'size': 5, 'spooled': False, 'read': 5}
    assert (tmp_path / 'saved.bin').read_bytes() == b'small'


def test_spool_threshold_counts_every_file_of_the_request(tmp_path):
    app = App(config={'uploads_spool_size': 1000, 'uploads_temp_dir': str(tmp_path)},
              plugins=['plugdot_uploads'])

    @app.post('/')
    async def index(request):
        return [f.spooled for f in request.files.getlist('f')]
    r = TestClient(app).post('/', files={'f': [('a', b'1' * 600), ('b', b'2' * 600)]})
    assert r.json() == [False, True]
    assert os.listdir(tmp_path) == []


def test_disconnect_in_a_streamed_part_removes_the_partial_file(tmp_path):
    app = make_app(tmp_path)
    body = multipart_body({}, {'f': ('a.bin', b'y' * 100000)}, 'BB')
    content_type = 'multipart/form-data; boundary=BB'
    messages = [{'type': 'http.request', 'body': body[:50000], 'more_body': True},
                {'type': 'http.disconnect'}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)
    scope = TestClient(app).build_scope('POST', '/stream', {'content-type': content_type,
                                                             'content-length': str(len(body))})
    asyncio.run(app(scope, receive, send))
    assert sent[0]['status'] == 400
    assert os.listdir(tmp_path) == []


def test_unknown_limit_name_is_reported_when_the_app_is_built():
    with pytest.raises(TypeError, match="unknown limit 'max_files_size'.*max_file_size"):
        upload_limits(max_files_size=10)


@pytest.mark.parametrize('route', ['/save', '/stream'])
def test_chunked_body_past_the_total_limit_is_413_while_reading(tmp_path, route):
    temp = tmp_path / 'spool'
    temp.mkdir()
    app = make_app(tmp_path, uploads_max_body_size=300000, uploads_spool_size=1000,
                   uploads_temp_dir=str(temp))
    body = multipart_body({}, {'f': ('a.bin', b'z' * 400000)}, 'BB')
    content_type = 'multipart/form-data; boundary=BB'
    messages = [{'type': 'http.request', 'body': body[i:i + 65536], 'more_body': i + 65536 < len(body)}
                for i in range(0, len(body), 65536)]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)
    scope = TestClient(app).build_scope('POST', route, {'content-type': content_type,
                                                         'transfer-encoding': 'chunked'})
    asyncio.run(app(scope, receive, send))
    assert sent[0]['status'] == 413
    assert os.listdir(temp) == [] and not os.path.exists(tmp_path / 'saved.bin') \
        and not os.path.exists(tmp_path / 'streamed.bin')


def test_a_spooled_file_saved_twice_is_in_both_places(tmp_path):
    app = App(config={'uploads_spool_size': 100, 'uploads_temp_dir': str(tmp_path)},
              plugins=['plugdot_uploads'])

    @app.post('/')
    async def index(request):
        f = request.files['f']
        await f.save(str(tmp_path / 'one'))
        await f.save(str(tmp_path / 'two'))
        return f.read()
    data = os.urandom(1000)
    assert TestClient(app).post('/', files={'f': ('a', data)}).body == data
    assert sorted(os.listdir(tmp_path)) == ['one', 'two']
    assert (tmp_path / 'one').read_bytes() == data == (tmp_path / 'two').read_bytes()
