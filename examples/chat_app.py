"""A chat room over WebSocket: open http://127.0.0.1:8000/ in two tabs.

Run it:  plugdot run examples/chat_app.py:app             (hypercorn)
         plugdot run examples/chat_app.py:app --server mpy
"""
from plugdot import App
from plugdot_websocket import Broadcast, with_websocket

app = App(plugins=['plugdot_websocket'])
room = Broadcast()

PAGE = """<!doctype html>
<meta charset="utf-8"><title>plugdot chat</title>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off" value="hello from the browser">
<button>Send</button></form>
<script>
const log = document.getElementById('log');
const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
const ws = new WebSocket(scheme + location.host + '/ws');
ws.onmessage = (event) => {
  const item = document.createElement('li');
  item.textContent = event.data;
  item.className = 'message';
  log.appendChild(item);
};
ws.onopen = () => {
  if (location.hash === '#auto') ws.send(document.getElementById('text').value);
};
document.getElementById('form').onsubmit = (event) => {
  event.preventDefault();
  ws.send(document.getElementById('text').value);
};
</script>
"""


@app.get('/')
async def index(request):
    return PAGE


@app.route('/ws')
@with_websocket
async def chat(request, ws):
    room.add(ws)
    try:
        async for message in ws:
            if isinstance(message, str):
                await room.send(message[:1000])
    finally:
        room.discard(ws)
