"""What `plugdot bundle` tells a maker from the app's source
(plugdot_mpy_server.advice): files copied or warned about, the debug
setting, body limits above the board server's. The whole command, on the
board, is in test_bundle.py."""
from plugdot_mpy_server.advice import body_limit_warnings, debug_warnings, ship_files

APP = '''from plugdot import App, send_file
from plugdot.files import FileResponse
from plugdot_static import StaticFiles

app = App(config={'static_folders': ['static', 'assets']})
app.mount(StaticFiles('static'), '/static')
app.mount(StaticFiles('www'), '/www')


@app.get('/')
async def index(request):
    return send_file('pages/index.html')


@app.get('/again')
async def again(request):
    return send_file('pages/index.html')


@app.get('/data')
async def data(request):
    with open('data/table.csv') as f:
        return f.read()


@app.get('/log')
async def log(request):
    with open('log.txt', 'a') as f:
        f.write('x')
    return open('/etc/board.conf', 'rb').read() + open('../secret.txt').read()


@app.get('/rooted')
async def rooted(request):
    return send_file('page.html', root='pages') if request else send_file('x', root=ROOT)


@app.get('/missing')
async def missing(request):
    return FileResponse('nowhere.bin', 1, 0, 'application/octet-stream')
'''


def test_files_the_app_opens_are_copied_or_named_with_the_fix(tmp_path, monkeypatch):
    project = tmp_path / 'project'
    (project / 'pages').mkdir(parents=True)
    (project / 'data').mkdir()
    (project / 'static').mkdir()
    (project / 'www').mkdir()
    (project / 'pages' / 'index.html').write_text('<h1>hi</h1>')
    (project / 'pages' / 'page.html').write_text('rooted')
    (project / 'data' / 'table.csv').write_text('a,b\n')
    (project / 'log.txt').write_text('old log')
    app = project / 'app.py'
    app.write_text(APP)
    out = tmp_path / 'board'
    out.mkdir()
    monkeypatch.chdir(tmp_path)  # not the app's folder: its files are found beside it
    lines = []
    rows = ship_files(str(app), str(out), [str(project / 'static')], lines.append)
    assert (out / 'pages' / 'index.html').read_text() == '<h1>hi</h1>'
    assert (out / 'data' / 'table.csv').read_text() == 'a,b\n'
    assert not (out / 'log.txt').exists()  # written by the app, not read: not shipped
    assert (out / 'pages' / 'page.html').read_text() == 'rooted'
    assert sorted(r[0] for r in rows) == ['data/table.csv', 'pages/index.html', 'pages/page.html']
    text = '\n'.join(lines)
    assert text.count('app file copied: pages/index.html') == 1  # once, however often named
    assert ("warning: app.py line 7: StaticFiles('www') serves a folder the bundle does not "
            "carry: add --static www") in text
    assert "StaticFiles('static')" not in text  # --static carries it
    assert ("warning: app.py line 5: static_folders 'assets' serves a folder the bundle does not "
            "carry: add --static assets") in text and "static_folders 'static'" not in text
    assert ("warning: app.py line 30: open('/etc/board.conf'): a path outside the bundle is not "
            "copied") in text
    assert "open('../secret.txt'): a path outside the bundle" in text
    assert "send_file('x')" not in text  # its root is not a literal: not guessed
    assert ("warning: app.py line 40: FileResponse('nowhere.bin'): no such file beside app.py "
            "or in the current folder") in text
    # --static given for another name than the board's static/ folder
    lines = []
    ship_files(str(app), str(out), [str(project / 'static'), str(project / 'www')], lines.append)
    assert ("StaticFiles('www'): --static writes the assets to the bundle's static/ folder, "
            "which the board finds as StaticFiles('static')") in '\n'.join(lines)


def test_debug_turned_on_in_the_app_is_named_by_line(tmp_path):
    app = tmp_path / 'app.py'
    app.write_text('from plugdot import App\n'
                   "app = App(config={'debug': True})\n"
                   "app.config['debug'] = True\n"
                   "other = App(config={'debug': False})\n"
                   'setup(debug=True)\n'
                   'app.run(port=80, debug=True)\n')  # Microdot's: console diagnostics on a board
    lines = debug_warnings(str(app))
    assert [line.split(':')[0] for line in lines] == ['warning'] * 3
    assert sorted(int(line.split(' line ')[1].split(':')[0]) for line in lines) == [2, 3, 5]


def test_body_limits_above_the_board_servers_are_named(tmp_path):
    app = tmp_path / 'app.py'
    app.write_text('from plugdot import App\n'
                   "app = App(config={'max_body_size': 1024 * 1024})\n"
                   '@upload_limits(max_body_size=8 * 1024)\n'
                   'def f(): pass\n'
                   'limits = Limits(max_body_size=4 * 1024 * 1024)\n')
    lines = body_limit_warnings(str(app), 16 * 1024)
    assert len(lines) == 1 and lines[0].startswith('warning: app.py line 2: max_body_size '
                                                   '1048576 is above')
    assert 'run(limits=Limits(max_body_size=1048576))' in lines[0]
