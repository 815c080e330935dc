"""A live dashboard: sensor readings pushed to browsers over Server-Sent
Events (and to WebSocket clients), shared by every worker and host through
plugdot-broadcast. Open http://127.0.0.1:8000/ and post readings:

    curl -X POST -H 'Content-Type: application/json' \\
         -d '{"sensor": "boiler", "value": 71.5}' http://127.0.0.1:8000/readings

One process (memory://):  plugdot run examples/dashboard_app.py:app
Several processes or hosts, one Redis:
    export PLUGDOT_BROADCAST_URL=redis-stream://127.0.0.1:6379/0
    plugdot run examples/dashboard_app.py:app --port 8000 &
    plugdot run examples/dashboard_app.py:app --port 8001 &
    python -m plugdot_broadcast $PLUGDOT_BROADCAST_URL readings '{"sensor": "cli", "value": 1}'

A browser that loses its connection reconnects by itself with the id of
the last reading it got, and receives exactly what it missed (from the
channel's history; a `resync` event when the gap is older than it).
"""
from plugdot import App, HTTPError
from plugdot_sse import with_sse
from plugdot_websocket import Broadcast, with_websocket

app = App(plugins=['plugdot_sse', 'plugdot_broadcast', 'plugdot_websocket'])
watchers = Broadcast('readings', app.broadcast)  # WebSocket clients of this process

PAGE = """<!doctype html>
<meta charset="utf-8"><title>plugdot dashboard</title>
<p>Status: <b id="status">connecting</b></p>
<table><thead><tr><th>id</th><th>sensor</th><th>value</th></tr></thead>
<tbody id="readings"></tbody></table>
<script>
window.received = [];
const status = document.getElementById('status');
const rows = document.getElementById('readings');
const source = new EventSource('/events');
source.onopen = () => { status.textContent = 'live'; };
source.onerror = () => { status.textContent = 'reconnecting'; };
source.addEventListener('reading', (event) => {
  const reading = JSON.parse(event.data);
  window.received.push([event.lastEventId, reading]);
  const row = rows.insertRow(0);
  for (const text of [event.lastEventId, reading.sensor, reading.value]) {
    row.insertCell().textContent = text;
  }
});
source.addEventListener('resync', () => {  // missed too much: start over
  window.received.push(['resync', null]);
  rows.textContent = '';
});
</script>
"""


@app.get('/')
async def index(request):
    return PAGE


@app.post('/readings')
async def add_reading(request):
    reading = request.json
    if not (isinstance(reading, dict) and isinstance(reading.get('sensor'), str)
            and isinstance(reading.get('value'), (int, float))):
        raise HTTPError(400, 'Send {"sensor": "<name>", "value": <number>}')
    reading = {'sensor': reading['sensor'][:100], 'value': reading['value']}
    return {'id': await app.broadcast.publish('readings', reading)}


@app.get('/events')
@with_sse
async def events(request, sse):
    await sse.send(retry=1000)  # reconnect 1 s after a lost connection
    async with app.broadcast.subscribe('readings', last_id=sse.last_event_id) as messages:
        await sse.forward(messages, event='reading')


@app.route('/ws')
@with_websocket
async def websocket(request, ws):
    watchers.add(ws)
    try:
        async for _ in ws:  # read-only: readings arrive through `watchers`
            pass
    finally:
        watchers.discard(ws)
