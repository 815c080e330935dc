"""A small JSON API: CRUD over an in-memory store, mounted under /api.

Run it:  plugdot run examples/json_api.py:app
"""
from plugdot import App, HTTPError, abort

api = App()
notes = {}
next_id = [1]


@api.get('/notes')
async def list_notes(request):
    return list(notes.values())


@api.post('/notes')
async def create_note(request):
    data = request.json
    if not isinstance(data, dict) or not isinstance(data.get('text'), str):
        abort(422, 'Expected {"text": "..."}')
    note = {'id': next_id[0], 'text': data['text']}
    notes[note['id']] = note
    next_id[0] += 1
    return note, 201, {'Location': '/api/notes/%d' % note['id']}


@api.get('/notes/<int:id>')
async def get_note(request, id):
    if id not in notes:
        abort(404, 'No note %d' % id)
    return notes[id]


@api.delete('/notes/<int:id>')
async def delete_note(request, id):
    if notes.pop(id, None) is None:
        abort(404, 'No note %d' % id)
    return None


@api.errorhandler(HTTPError)
async def json_error(request, error):
    return {'error': error.message, 'status': error.status}, error.status, error.headers


app = App()
app.mount(api, '/api')


@app.get('/')
async def index(request):
    return {'api': '/api/notes'}


if __name__ == '__main__':
    app.run()
