"""Tests of the example plugin, discovered through its entry point only."""
from plugdot import App, abort
from plugdot.plugins import plugin_info
from plugdot.testing import TestClient


def make_app(**kwargs):
    app = App(**kwargs)

    @app.get('/')
    async def index(request):
        return request.g.request_id

    @app.get('/fail')
    async def fail(request):
        abort(403)

    return app


def test_discovered_without_registration_code():
    names = [name for name, _, _ in plugin_info(App().plugins)]
    assert 'request_id' in names


def test_fresh_id_is_echoed_and_visible_to_handler():
    r = TestClient(make_app()).get('/')
    rid = r.headers['x-request-id']
    assert len(rid) == 16 and r.text == rid


def test_valid_client_id_is_kept_and_invalid_replaced():
    client = TestClient(make_app())
    assert client.get('/', headers={'X-Request-ID': 'abc-123'}).headers['x-request-id'] == 'abc-123'
    bad = client.get('/', headers={'X-Request-ID': 'a b;<script>'}).headers['x-request-id']
    assert bad != 'a b;<script>' and len(bad) == 16


def test_error_responses_carry_the_id():
    r = TestClient(make_app()).get('/fail')
    assert r.status_code == 403 and 'x-request-id' in r.headers


def test_header_name_is_a_setting():
    r = TestClient(make_app(config={'request_id_header': 'X-Trace'})).get('/')
    assert 'x-trace' in r.headers and 'x-request-id' not in r.headers


def test_blocking_the_plugin_removes_it():
    app = App(block_plugins=['request_id'])
    assert 'request_id' not in [n for n, _, _ in plugin_info(app.plugins)]
