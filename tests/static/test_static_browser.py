"""A page in headless Chromium whose CSS, JS and image come from /static,
served by hypercorn, by the mpy-server on CPython and under MicroPython."""
import time

import pytest
from browser import Browser
from test_static_servers import HERE, start_site, stop

CHECK = ("(() => { const box = document.getElementById('box');"
         " const logo = document.getElementById('logo');"
         " return box && logo ? [getComputedStyle(box).width, getComputedStyle(box).color,"
         " box.dataset.js || '', logo.complete ? logo.naturalWidth : 0] : null; })()")


@pytest.mark.parametrize('server', ['hypercorn', 'mpy', 'micropython'])
def test_page_loads_its_static_assets(server):
    proc, port = start_site(server, HERE / 'site')
    try:
        with Browser() as tools:
            tools.call('Page.navigate', url='http://127.0.0.1:%d/' % port)
            deadline = time.monotonic() + 15
            seen = None
            while time.monotonic() < deadline:
                seen = tools.evaluate(CHECK)
                if seen == ['77px', 'rgb(1, 2, 3)', 'ran', 24]:
                    break
                time.sleep(0.1)
            assert seen == ['77px', 'rgb(1, 2, 3)', 'ran', 24]
    finally:
        stop(proc)
