"""plugdot-server-timing, through its entry point, on CPython and under the
MicroPython unix port (the plugdot.testing fixtures)."""
import pytest

pytestmark = pytest.mark.plugdot(app='timing_app.py:app', plugins=['server_timing'],
                                 micropython=True)


def duration(response, metric='app'):
    name, _, dur = response.headers['server-timing'].partition(';dur=')
    assert name == metric
    return float(dur)


def test_every_response_is_timed(client):
    r = client.get('/')
    assert r.text == 'hello' and 0 <= duration(r) < 5000


def test_errors_and_early_answers_are_timed_too(client):
    assert client.get('/teapot').status_code == 418 and duration(client.get('/teapot')) >= 0
    r = client.get('/early')
    assert (r.status_code, r.text) == (202, 'answered early') and duration(r) >= 0
    assert duration(client.get('/nowhere')) >= 0


@pytest.mark.plugdot(app='timing_app.py:app', plugins=['server_timing'],
                     config={'server_timing_metric': 'total'}, micropython=True)
def test_metric_name_is_a_setting(client):
    assert duration(client.get('/'), 'total') >= 0


@pytest.mark.plugdot(app='timing_app.py:app', plugins=[], micropython=True)
def test_without_the_plugin_there_is_no_header(client):
    assert 'server-timing' not in client.get('/').headers
