"""plugdot-rate-limit, through its entry point, on CPython and under the
MicroPython unix port (the plugdot.testing fixtures)."""
import time

import pytest

LIMITED = pytest.mark.plugdot(app='limit_app.py:app', plugins=['rate_limit'], micropython=True,
                              config={'rate_limit': 3, 'rate_limit_window': 1})


@LIMITED
def test_past_the_limit_a_429_with_retry_after_in_the_usual_format(client):
    assert [client.get('/').status_code for _ in range(3)] == [200, 200, 200]
    r = client.get('/', headers={'Accept': 'application/json'})
    assert r.status_code == 429 and r.headers['retry-after'] == '1'
    assert r.json() == {'error': 'Too Many Requests', 'status': 429}
    assert client.get('/').text == 'Too Many Requests'


@LIMITED
def test_the_window_resets(client):
    assert [client.get('/').status_code for _ in range(4)] == [200, 200, 200, 429]
    time.sleep(1.1)
    assert client.get('/').status_code == 200


@pytest.mark.plugdot(app='limit_app.py:app', plugins=['rate_limit', 'server_timing'],
                     micropython=True, config={'rate_limit': 1})
def test_other_plugins_still_see_the_429(client):
    """The issue's case: Server-Timing on the 429, on both interpreters."""
    client.get('/')
    r = client.get('/')
    assert r.status_code == 429 and 'server-timing' in r.headers


@pytest.mark.plugdot(app='limit_app.py:app', plugins=['rate_limit'], micropython=True)
def test_off_by_default(client):
    assert all(client.get('/').status_code == 200 for _ in range(20))


@pytest.mark.plugdot(app='limit_app.py:app', plugins=['rate_limit'],
                     config={'rate_limit': 1, 'rate_limit_max_clients': 2})
def test_each_address_counts_apart_and_the_table_stays_bounded(client):
    from plugdot.testing import TestClient
    for i in range(10):
        assert TestClient(client.app, client=('10.0.0.%d' % i, 1)).get('/').status_code == 200
    assert len(client.app.rate_limit_counts) == 2
    assert TestClient(client.app, client=('10.0.0.9', 1)).get('/').status_code == 429
