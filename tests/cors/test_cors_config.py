"""CORS settings from PLUGDOT_CORS_* environment variables (CPython)."""
import pytest
from plugdot import App
from plugdot.testing import TestClient
from plugdot_cors import CORSConfigError


def make_app():
    app = App(plugins=['plugdot_cors'])

    @app.get('/')
    async def index(request):
        return 'x'
    return app


def test_environment_lists_and_flags(monkeypatch):
    monkeypatch.setenv('PLUGDOT_CORS_ALLOWED_ORIGINS', 'https://a.example.com, https://*.example.org')
    monkeypatch.setenv('PLUGDOT_CORS_ALLOW_CREDENTIALS', 'true')
    monkeypatch.setenv('PLUGDOT_CORS_MAX_AGE', '60')
    client = TestClient(make_app())
    r = client.get('/', headers={'Origin': 'https://shop.example.org'})
    assert r.headers['access-control-allow-origin'] == 'https://shop.example.org'
    assert r.headers['access-control-allow-credentials'] == 'true'
    r = client.options('/', headers={'Origin': 'https://a.example.com',
                                     'Access-Control-Request-Method': 'GET'})
    assert r.headers['access-control-max-age'] == '60'


def test_environment_star_with_credentials_fails_when_built(monkeypatch):
    monkeypatch.setenv('PLUGDOT_CORS_ALLOWED_ORIGINS', '*')
    monkeypatch.setenv('PLUGDOT_CORS_ALLOW_CREDENTIALS', '1')
    with pytest.raises(CORSConfigError, match='cannot be combined with credentials'):
        make_app()


def test_changing_config_at_run_time_is_checked_again():
    app = make_app()
    client = TestClient(app)
    app.config['cors_allowed_origins'] = ['https://late.example.com']
    r = client.get('/', headers={'Origin': 'https://late.example.com'})
    assert r.headers['access-control-allow-origin'] == 'https://late.example.com'
    app.config['cors_allowed_origins'] = ['https://late.example.com/']
    r = client.get('/', headers={'Origin': 'https://late.example.com'})
    assert r.status_code == 500  # a bad value set while serving: an error, never a wrong grant
    assert 'access-control-allow-origin' not in r.headers
