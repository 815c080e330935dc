"""A page in headless Chromium (Debian's chromium) connects to the chat
example's WebSocket, sends a message and shows the echo. The browser is
driven over the DevTools protocol and the page polled in real time."""
import shutil
import subprocess
import sys
import tempfile
import time

import httpx
import pytest
from browser import CHROMIUM_FLAGS, DevTools, chromium
from support import ROOT, free_port, wait_for_port
from websockets.sync.client import connect


@pytest.mark.parametrize('server', ['hypercorn', 'mpy'])
def test_page_connects_sends_and_shows_the_echo(server):
    port, debug_port = free_port(), free_port()
    app = subprocess.Popen([sys.executable, '-m', 'plugdot.cli', 'run', 'examples/chat_app.py:app',
                            '--port', str(port), '--server', server], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, '--user-data-dir=' + profile,
                                '--remote-debugging-port=%d' % debug_port, 'about:blank'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, app)
        wait_for_port(debug_port, browser, timeout=30)
        pages = [t for t in httpx.get('http://127.0.0.1:%d/json/list' % debug_port, timeout=10).json()
                 if t['type'] == 'page']
        with connect(pages[0]['webSocketDebuggerUrl'], open_timeout=10, max_size=None) as ws:
            tools = DevTools(ws)
            tools.call('Page.navigate', url='http://127.0.0.1:%d/#auto' % port)
            deadline = time.monotonic() + 15
            shown = []
            while time.monotonic() < deadline and not shown:
                shown = tools.evaluate("[...document.querySelectorAll('li.message')]"
                                       ".map(e => e.textContent)") or []
                time.sleep(0.1)
        assert shown == ['hello from the browser']
    finally:
        browser.terminate()
        app.terminate()
        browser.wait(10)
        app.wait(10)
        shutil.rmtree(profile, ignore_errors=True)
