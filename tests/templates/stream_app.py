"""An app whose report streams while its rows arrive (served by the tests
through hypercorn)."""
import asyncio
import pathlib

from plugdot import App
from plugdot_templates import stream_template

app = App(config={'templates_dir': str(pathlib.Path(__file__).parent / 'pages'),
                  'templates_chunk_size': 64})


class Rows:
    """Rows fetched slowly: an async iterator, as from a database cursor."""

    def __init__(self, count, delay):
        self.count, self.delay, self.n = count, delay, 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == self.count:
            raise StopAsyncIteration
        await asyncio.sleep(self.delay)
        self.n += 1
        return {'n': self.n, 'label': 'row <%d>' % self.n}


@app.get('/report')
async def report(request):
    return stream_template('report.html', rows=Rows(int(request.args.get('rows', 8)), 0.15))
