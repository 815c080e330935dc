"""Headless Chromium (Debian's chromium) submits an HTML form with a 20 MB
file to the upload app under hypercorn: the saved file is sha256-identical
and the server's peak RSS grows by less than the spool size plus a margin.
The browser is driven over the DevTools protocol: the file is set on the
page's <input type=file> and the form submitted as a user would."""
import json
import time

import httpx
from browser import Browser
from upload_support import BIG, MARGIN, MB, SPOOL, Server, reset_peak_rss


def test_browser_form_with_a_20_mb_file(big_file, tmp_path):
    path, sha = big_file
    server = Server('hypercorn', tmp_path)
    try:
        with Browser() as tools:
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
        server.stop()
    got = json.loads(text)
    assert got['form'] == {'title': 'report'}
    assert got['files']['doc'] == {'filename': 'big.bin', 'size': BIG, 'sha256': sha, 'spooled': True}
    grown = after['VmHWM'] - before['VmRSS']
    print('chromium -> hypercorn: peak RSS grew by %.1f MB for a 20 MB upload' % (grown / MB))
    assert grown < SPOOL + MARGIN, grown
    assert server.leftovers() == []
