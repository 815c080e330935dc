"""The core under a real ASGI server (hypercorn on 127.0.0.1) with httpx."""
import httpx


def test_class_style_app_end_to_end(serve_cli):
    base = serve_cli('examples/class_app.py:app')
    with httpx.Client(base_url=base, timeout=10) as c:
        assert c.get('/greet/Ann').text == 'Hello, Ann'
        assert c.get('/greet', params={'name': 'Bob'}).text == 'Hello, Bob'
        assert c.get('/item/1').json() == {'id': 1, 'name': 'kettle'}
        assert c.get('/item/x').status_code == 400
        r = c.post('/buy', data={'id': '2', 'quantity': '3'})
        assert r.json() == {'bought': 'teapot', 'quantity': 3, 'client': '127.0.0.1'}
        assert c.get('/buy').status_code == 405
        assert r.headers['x-request-count'].isdigit()
        assert c.post('/buy', json={'quantity': 1}).status_code == 400


def test_json_api_end_to_end(serve_cli):
    base = serve_cli('examples/json_api.py:app')
    with httpx.Client(base_url=base, timeout=10) as c:
        r = c.post('/api/notes', json={'text': 'hi'})
        assert r.status_code == 201 and r.headers['location'] == '/api/notes/1'
        assert c.get('/api/notes').json() == [{'id': 1, 'text': 'hi'}]
        assert c.get('/api/notes/9').json() == {'error': 'No note 9', 'status': 404}
        assert c.post('/api/notes', content=b'{bad', headers={'content-type': 'application/json'}
                      ).json()['status'] == 400
        assert c.delete('/api/notes/1').status_code == 204
        assert c.put('/api/notes/1').status_code == 405
        big = c.post('/api/notes', content=b'x' * (2 * 1024 * 1024),
                     headers={'content-type': 'application/json'})
        assert big.status_code == 413
