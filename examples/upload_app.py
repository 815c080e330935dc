"""An upload page: a form with files, saved to ./uploads; and a streamed
route that writes one big file straight to disk as it arrives.

Run it:  plugdot run examples/upload_app.py:app   (needs plugdot-uploads)
then open http://127.0.0.1:8000/ , or:
    curl -F title=notes -F doc=@README.md http://127.0.0.1:8000/upload
    curl -F image=@big.iso http://127.0.0.1:8000/firmware
"""
import html
import os

from plugdot import App, HTTPError
from plugdot_uploads import upload_limits

UPLOADS = os.environ.get('UPLOAD_DIR', 'uploads')
app = App(config={'uploads_max_file_size': 50 * 1024 * 1024})

PAGE = '''<!doctype html>
<title>plugdot uploads</title>
<h1>Send files</h1>
<form method="post" action="/upload" enctype="multipart/form-data">
  <p><label>Title <input name="title" required></label></p>
  <p><input type="file" name="doc" multiple required></p>
  <p><button>Upload</button></p>
</form>
<h2>Stored</h2>
<ul>%s</ul>
'''


@app.get('/')
async def index(request):
    os.makedirs(UPLOADS, exist_ok=True)
    names = sorted(os.listdir(UPLOADS))
    return PAGE % ''.join('<li>%s</li>' % html.escape(n) for n in names)


@app.post('/upload')
async def upload(request):
    """The whole form is read first: request.form and request.files."""
    os.makedirs(UPLOADS, exist_ok=True)
    saved = []
    for doc in request.files.getlist('doc'):
        if not doc.filename:          # the file input was left empty
            raise HTTPError(400, 'Choose a file')
        await doc.save(os.path.join(UPLOADS, doc.filename))   # filename is sanitised
        saved.append({'name': doc.filename, 'size': doc.size, 'type': doc.content_type})
    return {'title': request.form['title'], 'saved': saved}


@app.post('/firmware', stream=True)
@upload_limits(max_body_size=2 * 1024 ** 3, max_file_size=2 * 1024 ** 3)
async def firmware(request):
    """Streamed: the handler runs before the body is read; each part is
    written as it arrives, never held whole in memory."""
    os.makedirs(UPLOADS, exist_ok=True)
    async for part in request.parts():
        if part.name == 'image' and part.filename:
            size = await part.save(os.path.join(UPLOADS, 'firmware-' + part.filename))
            return {'stored': part.filename, 'size': size}
    raise HTTPError(400, 'No "image" file in the form')
