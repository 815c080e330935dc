"""A bundle carries every module its app reaches on the board, also those
the app's source does not name (found by the outside-in trial: a class-style
JSON body and a session's logout were a 500 ``ImportError`` on the board
only)."""
import pytest


@pytest.mark.plugdot(app='trial_shop.py:shop')
def test_a_class_style_json_body_binds_on_the_board(mpy_client):
    r = mpy_client.post('/buy', json={'id': 4})
    assert r.status_code == 200 and r.json() == {'bought': 4, 'quantity': 1}
    assert mpy_client.post('/buy', json={'id': 'x'}).status_code == 400


@pytest.mark.plugdot(app='trial_login.py:login', plugins=['sessions'])
def test_a_session_logout_on_the_board(mpy_client):
    r = mpy_client.post('/login', data={'user': 'ada'})
    assert r.status_code == 302
    assert mpy_client.get('/').json() == {'user': 'ada'}
    r = mpy_client.post('/logout')
    assert r.status_code == 302, r.text
    assert 'Expires=Thu, 01 Jan 1970 00:00:00 GMT' in r.headers['set-cookie']
    assert mpy_client.get('/').json() == {'user': None}
