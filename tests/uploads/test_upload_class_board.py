"""Class-style file arguments on a board: `plugdot bundle` records an
``Upload`` annotation and keyword-only parameters (MicroPython keeps no
annotations and cannot inspect signatures), and the bundled app under the
real MicroPython unix port binds them as CPython does (trial 12, #3 and #4)."""
import subprocess
import sys

import httpx
from support import ROOT, free_port, micropython, start_server, stop

APP = '''
from plugdot import App, methods
from plugdot_uploads import Upload


class Site(App):
    @methods('POST')
    async def avatar(self, picture: Upload, caption=''):
        return {'saved': picture.filename, 'size': picture.size, 'caption': caption}

    async def item(self, id: int, *, flag: bool = False):
        return {'id': id, 'flag': flag}


app = Site(plugins=['uploads'])
'''

PNG = {'picture': ('p.png', b'PNG', 'image/png')}


def test_bundled_class_routes_bind_files_and_keyword_only_arguments(tmp_path):
    (tmp_path / 'site.py').write_text(APP)
    out = tmp_path / 'board'
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'bundle', str(tmp_path / 'site.py'),
                           '-o', str(out), '--plugin', 'uploads'], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    proc = start_server([micropython(), '-X', 'heapsize=512k', 'main.py'], port, cwd=out,
                        env={'PLUGDOT_PORT': str(port), 'PLUGDOT_HOST': '127.0.0.1'})
    try:
        with httpx.Client(base_url='http://127.0.0.1:%d' % port, timeout=10) as c:
            ok = {'saved': 'p.png', 'size': 3, 'caption': ''}
            assert c.post('/avatar', files=PNG).json() == ok
            assert c.post('/avatar?picture=x', files=PNG).json() == ok
            for r in (c.post('/avatar', data={'picture': 'text'}), c.post('/avatar?picture=x')):
                assert r.status_code == 400 and "'picture' must be a file" in r.text, r.text
            assert c.get('/item/1').json() == {'id': 1, 'flag': False}
            assert c.get('/item/1', params={'flag': 'yes'}).json() == {'id': 1, 'flag': True}
            assert c.get('/item/1/yes').status_code == 404
    finally:
        stop(proc)
