"""plugdot-static over real servers on 127.0.0.1: hypercorn, uvicorn, the
mpy-server on CPython and under MicroPython. curl asks for ranges, revalidates
and negotiates gzip; a raw-socket traversal corpus must never return a file
outside the root; a client that leaves stops the transfer."""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest
from support import ROOT, free_port, micropython, send_and_read, start_server, stop

HERE = pathlib.Path(__file__).resolve().parent
SERVERS = ['hypercorn', 'uvicorn', 'mpy', 'micropython']
SECRET = b'TOP-SECRET-OUTSIDE-THE-ROOT'


def start_site(server, site, *extra):
    port = free_port()
    exe = [micropython(), '-X', 'heapsize=2m'] if server == 'micropython' else [sys.executable]
    kind = 'mpy' if server == 'micropython' else server
    proc = start_server(exe + [str(HERE / 'serve_site.py'), str(ROOT), str(port), kind, str(site),
                               *extra], port)
    return proc, port


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """A copy of tests/static/site with a secret file beside it and
    symlinks in it: one to a file inside, one to the secret outside."""
    base = tmp_path_factory.mktemp('static')
    root = base / 'site'
    shutil.copytree(HERE / 'site', root)
    (base / 'secret.txt').write_bytes(SECRET)
    (base / 'site-other').mkdir()
    (base / 'site-other' / 'x.txt').write_bytes(SECRET)
    os.symlink(root / 'app.js', root / 'inside-link.js')
    os.symlink(base / 'secret.txt', root / 'outside-link.txt')
    os.symlink(base, root / 'outside-dir')
    (root / 'inner.txt').write_bytes(b'inner\n')
    os.symlink(base / 'secret.txt', root / 'inner.txt.gz')  # a "precompressed sibling" leading out
    big = root / 'big.bin'
    with open(big, 'wb') as f:
        f.truncate(200 * 1024 * 1024)  # sparse: cheap to make, real to read
    return root


@pytest.fixture(scope='module', params=SERVERS)
def server(request, site):
    proc, port = start_site(request.param, site)
    yield request.param, port, proc
    stop(proc)


def curl(port, path, *args):
    out = subprocess.run(['curl', '-s', '-g', '--path-as-is', '-D', '-', '-o', '-', '--max-time', '10',
                          *args, 'http://127.0.0.1:%d%s' % (port, path)],
                         capture_output=True, timeout=20, check=True).stdout
    head, _, body = out.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def raw(port, target, timeout=5):
    return send_and_read(port, b'GET ' + target + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
                         timeout)


def test_curl_range_revalidation_and_gzip(server, site):
    name, port, _ = server
    css = (site / 'style.css').read_bytes()
    status, h, body = curl(port, '/static/style.css')
    assert status == 200 and body == css
    assert h['content-type'] == 'text/css; charset=utf-8' and h['content-length'] == str(len(css))
    assert h['vary'] == 'Accept-Encoding' and h['accept-ranges'] == 'bytes'
    etag = h['etag']
    status, h2, body = curl(port, '/static/style.css', '-H', 'If-None-Match: ' + etag)
    assert status == 304 and body == b'' and h2['etag'] == etag
    status, _, body = curl(port, '/static/style.css', '-H', 'If-Modified-Since: ' + h['last-modified'])
    assert status == 304
    status, h, body = curl(port, '/static/style.css', '-r', '5-24')
    assert status == 206 and body == css[5:25] and h['content-range'] == 'bytes 5-24/%d' % len(css)
    status, h, body = curl(port, '/static/style.css', '-r', '99999-')
    assert status == 416 and h['content-range'] == 'bytes */%d' % len(css)
    status, h, body = curl(port, '/static/style.css', '-H', 'Accept-Encoding: gzip')
    assert status == 200 and h['content-encoding'] == 'gzip'
    assert body == (site / 'style.css.gz').read_bytes()
    status, h, body = curl(port, '/static/style.css', '--compressed')
    assert body == css  # curl inflates it
    status, h, body = curl(port, '/static/logo.png', '-I')
    assert status == 200 and h['content-type'] == 'image/png' and SECRET not in body


def test_multiple_ranges_on_cpython(server, site):
    name, port, _ = server
    css = (site / 'style.css').read_bytes()
    status, h, body = curl(port, '/static/style.css', '-r', '0-3,10-12')
    if name == 'micropython':  # one range on a board: the whole file
        assert status == 200 and body == css
        return
    assert status == 206 and h['content-type'].startswith('multipart/byteranges; boundary=')
    assert len(body) == int(h['content-length'])
    assert css[0:4] in body and css[10:13] in body and b'Content-Range: bytes 10-12/' in body
    status, h, body = curl(port, '/static/style.css', '-r', ','.join('%d-%d' % (i, i) for i in range(20)))
    assert status == 200 and body == css  # past the cap: the whole file


TRAVERSAL = [b'/static/../secret.txt', b'/static/%2e%2e/secret.txt', b'/static/%2E%2E/secret.txt',
             b'/static/..%2fsecret.txt', b'/static/%2e%2e%2fsecret.txt', b'/static/.%2e/secret.txt',
             b'/static/%252e%252e/secret.txt', b'/static/..\\secret.txt',
             b'/static/%5c..%5csecret.txt', b'/static/..%5csecret.txt', b'/static/%00',
             b'/static/style.css%00.png', b'/static//etc/passwd', b'/static/%2fetc%2fpasswd',
             b'/static/C:%5cWindows%5cwin.ini', b'/static/C:/secret.txt',
             b'/static/%5c%5cserver%5cshare', b'/static/outside-link.txt',
             b'/static/outside-dir/secret.txt', b'/static/outside-dir/site-other/x.txt',
             b'/static/../site-other/x.txt', b'/static/%2e%2e/%2e%2e/etc/passwd',
             b'/static/' + b'../' * 10 + b'etc/passwd']


def test_traversal_corpus_never_leaves_the_root(server):
    name, port, _ = server
    for target in TRAVERSAL:
        out = raw(port, target)
        assert out.startswith(b'HTTP/1.1 '), (target, out[:100])
        status = int(out.split(b' ', 2)[1])
        assert status in (400, 404), (target, status)
        assert SECRET not in out and b'root:' not in out, target
    assert raw(port, b'/static/app.js').startswith(b'HTTP/1.1 200')
    status, h, body = curl(port, '/static/inner.txt', '-H', 'Accept-Encoding: gzip')
    assert status == 200 and body == b'inner\n' and 'content-encoding' not in h
    # A link that stays inside is served on CPython; MicroPython cannot read
    # where a link points, so it refuses every link (unless follow_symlinks).
    inside = raw(port, b'/static/inside-link.js')
    assert inside.startswith(b'HTTP/1.1 404' if name == 'micropython' else b'HTTP/1.1 200')


def test_methods_other_than_get_and_head_are_405(server):
    name, port, _ = server
    status, h, _ = curl(port, '/static/app.js', '-X', 'DELETE')
    assert status == 405 and h['allow'] == 'GET, HEAD'


def _read_bytes(pid):
    with open('/proc/%d/io' % pid) as f:
        for line in f:
            if line.startswith('rchar:'):
                return int(line.split()[1])


@pytest.mark.parametrize('kind', ['hypercorn', 'uvicorn', 'mpy', 'micropython'])
def test_transfer_stops_when_the_client_leaves(site, kind):
    proc, port = start_site(kind, site)
    try:
        before = _read_bytes(proc.pid)
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b'GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n')
        assert s.recv(100).startswith(b'HTTP/1.1 200')
        s.close()
        time.sleep(2)
        read = _read_bytes(proc.pid) - before
        assert read < 50 * 1024 * 1024, 'the server read %d MB after the client left' % (read >> 20)
        out = raw(port, b'/static/app.js')  # and it still serves
        assert out.startswith(b'HTTP/1.1 200')
    finally:
        stop(proc)


def _responses(sock, count, timeout=5):
    """Read *count* whole responses (Content-Length bodies) from *sock*;
    return their status lines and bodies (fewer if the server closes)."""
    sock.settimeout(timeout)
    data, out = b'', []
    while len(out) < count:
        head, sep, rest = data.partition(b'\r\n\r\n')
        if sep:
            length = 0
            for line in head.split(b'\r\n')[1:]:
                name, _, value = line.partition(b':')
                if name.strip().lower() == b'content-length':
                    length = int(value)
            if len(rest) >= length:
                out.append((head.split(b'\r\n')[0], rest[:length]))
                data = rest[length:]
                continue
        try:
            got = sock.recv(65536)
        except socket.timeout:
            got = b''
        if not got:
            break
        data += got
    return out


def test_the_connection_stays_open_after_a_static_file(server):
    # A static file's transfer watches for http.disconnect; the request
    # after it on the same kept-alive connection must still be answered,
    # sent after the response (the watcher waiting on the socket) or
    # pipelined with it.
    name, port, _ = server
    get = b'GET %s HTTP/1.1\r\nHost: x\r\n\r\n'
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.sendall(get % b'/static/app.js')
        first = _responses(s, 1)
        time.sleep(0.3)
        s.sendall(get % b'/logins')
        second = _responses(s, 1)
        s.sendall(get % b'/static/app.js' + get % b'/static/style.css' + get % b'/logins')
        rest = _responses(s, 3)
    assert [status.split()[1] for status, _ in first + second] == [b'200'] * 2, name
    assert b'"count"' in second[0][1]
    assert [status.split()[1] for status, _ in rest] == [b'200'] * 3, name
    assert rest[0][1] == first[0][1] == (HERE / 'site' / 'app.js').read_bytes()
    assert b'"count"' in rest[2][1]
