"""Headless Chromium (Debian's chromium) submits an HTML form with a 20 MB
file to the upload app under hypercorn: the saved file is sha256-identical
and the server's peak RSS grows by less than the spool size plus a margin.
The browser is driven over the DevTools protocol: the file is set on the
page's <input type=file> and the form submitted as a user would."""
import json
import shutil
import subprocess
import tempfile
import time

import httpx
from support import CHROMIUM_FLAGS, DevTools, chromium, free_port, wait_for_port
from upload_support import BIG, MARGIN, MB, SPOOL, Server, reset_peak_rss
from websockets.sync.client import connect


def test_browser_form_with_a_20_mb_file(big_file, tmp_path):
    path, sha = big_file
    server = Server('hypercorn', tmp_path)
    debug_port = free_port()
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, '--user-data-dir=' + profile,
                                '--remote-debugging-port=%d' % debug_port, 'about:blank'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(debug_port, browser, timeout=30)
        pages = [t for t in httpx.get('http://127.0.0.1:%d/json/list' % debug_port, timeout=10).json()
                 if t['type'] == 'page']
        with connect(pages[0]['webSocketDebuggerUrl'], open_timeout=10, max_size=None) as ws:
            tools = DevTools(ws)
            tools.call('Page.navigate', url=server.url + '/')
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not tools.evaluate(
                    "document.readyState == 'complete' && !!document.querySelector('form')"):
                time.sleep(0.05)
            root = tools.call('DOM.getDocument')['root']['nodeId']
            node = tools.call('DOM.querySelector', nodeId=root, selector='input[type=file]')['nodeId']
            tools.call('DOM.setFileInputFiles', files=[path], nodeId=node)
            assert tools.evaluate("document.querySelector('input[type=file]').files[0].size") == BIG
            reset_peak_rss(server.proc.pid)
            before = httpx.get(server.url + '/mem', timeout=5).json()
            tools.evaluate("document.getElementById('go').click()")
            deadline = time.monotonic() + 60
            text = ''
            while time.monotonic() < deadline:
                text = tools.evaluate("location.pathname == '/upload' && document.readyState == "
                                      "'complete' ? document.body.innerText : ''") or ''
                if text:
                    break
                time.sleep(0.1)
        after = httpx.get(server.url + '/mem', timeout=5).json()
    finally:
        browser.terminate()
        browser.wait(10)
        server.stop()
        shutil.rmtree(profile, ignore_errors=True)
    got = json.loads(text)
    assert got['form'] == {'title': 'report'}
    assert got['files']['doc'] == {'filename': 'big.bin', 'size': BIG, 'sha256': sha, 'spooled': True}
    grown = after['VmHWM'] - before['VmRSS']
    print('chromium -> hypercorn: peak RSS grew by %.1f MB for a 20 MB upload' % (grown / MB))
    assert grown < SPOOL + MARGIN, grown
    assert server.leftovers() == []
