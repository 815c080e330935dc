"""Cross-origin fetch in headless Chromium: a page on one 127.0.0.1 port
calls plugdot on another with credentials. The allowed origin logs in (a
preflighted JSON POST sets a cookie) and reads the cookie back; a page on a
third port, not allowed, is blocked by the browser and its POST never reaches
the handler."""
import pathlib
import sys

import httpx
from browser import Browser

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'static'))
from test_static_servers import HERE, start_site, stop  # noqa: E402

SCRIPT = '''(async () => {
  const api = 'http://127.0.0.1:%d';
  try {
    const login = await fetch(api + '/login', {method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({user: 'ann'})});
    const who = await fetch(api + '/whoami', {credentials: 'include'});
    return JSON.stringify([login.status, await who.json()]);
  } catch (e) {
    return 'blocked: ' + e.name;
  }
})()'''


def test_allowed_origin_fetches_with_credentials_and_others_are_blocked():
    site = HERE / 'site'
    allowed, allowed_port = start_site('hypercorn', site)
    other, other_port = start_site('hypercorn', site)
    api, api_port = start_site('hypercorn', site, 'http://127.0.0.1:%d' % allowed_port)
    try:
        with Browser() as tools:
            tools.call('Page.navigate', url='http://127.0.0.1:%d/' % allowed_port)
            result = tools.evaluate(SCRIPT % api_port, await_promise=True)
            assert result == '[200,{"user":"ann"}]'
            tools.call('Page.navigate', url='http://127.0.0.1:%d/' % other_port)
            result = tools.evaluate(SCRIPT % api_port, await_promise=True)
            assert result == 'blocked: TypeError'
        count = httpx.get('http://127.0.0.1:%d/logins' % api_port, timeout=5).json()['count']
        assert count == 1  # the refused preflight kept the second POST from the handler
    finally:
        for proc in (allowed, other, api):
            stop(proc)
