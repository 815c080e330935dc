"""Templates on CPython and on a board: a base layout, a form and a
streamed report (docs/templates.md).

    plugdot run examples/templates_app.py:app                 # CPython, Jinja2
    plugdot bundle examples/templates_app.py --plugin templates -o build/board --check --heap 192k
"""
from plugdot import App, redirect
from plugdot_templates import render_template, stream_template

_here = __file__.replace('\\', '/').rpartition('/')[0]
app = App(config={'templates_dir': (_here + '/templates') if _here else 'templates',
                  'templates_chunk_size': 512})

MESSAGES = []


@app.get('/')
async def index(request):
    return render_template('index.html', title='Home', messages=MESSAGES[-5:])


@app.route('/contact', methods=('GET', 'POST'))
async def contact(request):
    form = request.form if request.method == 'POST' else {}
    errors = {}
    if request.method == 'POST':
        name, message = form.get('name', '').strip(), form.get('message', '').strip()
        if not name:
            errors['name'] = 'Please tell us your name.'
        if len(message) < 3:
            errors['message'] = 'The message is too short.'
        if not errors:
            MESSAGES.append({'name': name, 'message': message})
            return redirect(app.url_for('index'), 303)
    return render_template('form.html', title='Contact', form=form, errors=errors), \
        400 if errors else 200


def readings(count):
    """Rows of a report (on a board: sensor readings), produced one by one."""
    for n in range(1, count + 1):
        yield {'n': n, 'value': (n * 37) % 101, 'label': 'sensor <%d>' % (n % 4)}


@app.get('/report')
async def report(request):
    count = min(int(request.args.get('rows', 100)), 1000)
    return stream_template('report.html', title='Report', rows=readings(count), count=count)
