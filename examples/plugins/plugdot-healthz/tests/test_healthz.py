"""plugdot-healthz, through its entry point, on CPython and under the
MicroPython unix port (the plugdot.testing fixtures)."""
import pytest

pytestmark = pytest.mark.plugdot(app='health_app.py:app', plugins=['healthz', 'server_timing'],
                                 micropython=True)


def test_healthz_answers_with_the_plugins_in_call_order(client):
    r = client.get('/healthz')
    body = r.json()
    assert r.status_code == 200 and body['status'] == 'ok' and body['uptime'] >= 0
    assert body['plugins'].index('healthz') < body['plugins'].index('server_timing')
    assert 'server-timing' in r.headers  # a route a plugin added is wrapped like any other
    assert client.get('/').text == 'ok'


@pytest.mark.plugdot(app='health_app.py:app', plugins=['healthz'],
                     config={'healthz_path': '/_status'}, micropython=True)
def test_the_path_is_a_setting(client):
    assert client.get('/_status').json()['status'] == 'ok'
    assert client.get('/healthz').status_code == 404


@pytest.mark.plugdot(app='health_app.py:app', plugins=['healthz', 'server_timing'])
def test_same_plugin_list_on_both_interpreters(client, mpy_client):
    assert client.get('/healthz').json()['plugins'] == mpy_client.get('/healthz').json()['plugins']
