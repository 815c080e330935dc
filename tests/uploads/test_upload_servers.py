"""plugdot-uploads end to end on real servers (hypercorn, uvicorn, the
mpy-server on CPython) with real clients (httpx, curl, raw sockets), on
127.0.0.1: big files saved byte-identical with bounded server memory,
chunked bodies, limits before the body, no temporary file left behind."""
import hashlib
import os
import shutil
import socket
import subprocess
import time

import httpx
import pytest
from upload_support import BIG, MARGIN, MB, SPOOL, reset_peak_rss


def test_big_file_with_httpx_is_identical_and_memory_stays_bounded(server, big_file):
    path, sha = big_file
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.post('/upload', files={'doc': ('warm.bin', b'w' * (2 * MB))})  # steady state first
        before = client.get('/mem').json()
        reset_peak_rss(server.proc.pid)
        with open(path, 'rb') as f:
            r = client.post('/upload', data={'title': 'big'}, files={'doc': ('big.bin', f)})
        assert r.status_code == 200, r.text
        after = client.get('/mem').json()
    got = r.json()
    assert got['form'] == {'title': 'big'}
    assert got['files']['doc'] == {'filename': 'big.bin', 'size': BIG, 'sha256': sha, 'spooled': True}
    grown = after['VmHWM'] - before['VmRSS']  # the peak during the upload over the RSS before it
    print('%s: peak RSS grew by %.1f MB for a 20 MB upload' % (server.kind, grown / MB))
    assert grown < SPOOL + MARGIN, '%s: peak RSS grew by %d bytes' % (server.kind, grown)
    assert server.leftovers() == []


def test_big_file_with_curl(server, big_file):
    path, sha = big_file
    if shutil.which('curl') is None:
        pytest.fail('curl is needed (apt-get install curl)')
    out = subprocess.run(['curl', '-sS', '--max-time', '60', '-F', 'title=from curl',
                          '-F', 'doc=@%s;filename=../../curl name.bin' % path, server.url + '/upload'],
                         capture_output=True, timeout=90)
    assert out.returncode == 0, out.stderr
    import json
    got = json.loads(out.stdout)
    assert got['form'] == {'title': 'from curl'}
    assert got['files']['doc']['filename'] == 'curl name.bin'
    assert got['files']['doc']['sha256'] == sha and got['files']['doc']['size'] == BIG
    assert os.path.exists(server.save / 'curl name.bin')
    assert server.leftovers() == []


def _multipart_pieces(path):
    b = b'chunkedBoundary42'
    yield b'--' + b + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\nchunked\r\n'
    yield b'--' + b + b'\r\nContent-Disposition: form-data; name="doc"; filename="c.bin"\r\n\r\n'
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(100003), b''):
            yield block
    yield b'\r\n--' + b + b'--\r\n'


@pytest.mark.parametrize('route', ['/upload', '/stream'])
def test_chunked_body_without_content_length(server, big_file, route):
    path, sha = big_file
    with httpx.Client(base_url=server.url, timeout=60) as client:
        r = client.post(route, content=_multipart_pieces(path),
                        headers={'Content-Type': 'multipart/form-data; boundary=chunkedBoundary42'})
    assert r.status_code == 200, r.text
    got = r.json()
    if route == '/upload':
        assert got['form'] == {'title': 'chunked'} and got['files']['doc']['sha256'] == sha
    else:
        assert got == {'title': 'chunked', 'doc': {'size': BIG, 'sha256': sha}}
        with open(server.save / 'streamed-c.bin', 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == sha
    assert server.leftovers() == []


def test_per_route_limit_and_malformed_body(server):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.post('/small', files={'f': ('a', b'x' * 1000)}).json() == {'size': 1000}
        r = client.post('/small', files={'f': ('a', b'x' * 1001)})
        assert r.status_code == 413 and 'larger than 1000' in r.text
        r = client.post('/upload', content=b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\ncut',
                        headers={'Content-Type': 'multipart/form-data; boundary=XX'})
        assert r.status_code == 400 and 'truncated' in r.text


def _raw(server, head, body=b'', read=True):
    s = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    s.sendall(head + body)
    if not read:
        return s
    data = b''
    try:
        while b'\r\n\r\n' not in data:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    finally:
        s.close()
    return data


def test_too_large_content_length_is_413_before_the_body(server):
    head = (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\n'
            b'Content-Length: %d\r\nExpect: 100-continue\r\n\r\n' % (65 * MB))
    s = _raw(server, head, read=False)
    answer = b''
    while b'HTTP/1.1 413' not in answer:
        piece = s.recv(65536)
        if not piece:
            break
        answer += piece
    s.close()
    assert b'HTTP/1.1 413' in answer, answer[:300]
    if server.kind != 'hypercorn':  # hypercorn answers "100 Continue" by itself, before the app
        assert answer.startswith(b'HTTP/1.1 413'), answer[:300]


def test_aborted_upload_leaves_no_temporary_file(server):
    b = b'abortBoundary'
    head = (b'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=abortBoundary\r\n'
            b'Content-Length: %d\r\n\r\n' % (10 * MB))
    s = _raw(server, head, b'--' + b + b'\r\nContent-Disposition: form-data; name="doc"; filename="a.bin"\r\n\r\n',
             read=False)
    for _ in range(48):  # 3 MB: past the spool size, so a temporary file exists
        s.sendall(b'a' * 65536)
    deadline = time.monotonic() + 5
    while not os.listdir(server.temp) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.listdir(server.temp), 'the upload was never spooled'
    s.close()
    assert server.leftovers() == []
    assert httpx.get(server.url + '/mem', timeout=5).status_code == 200


def test_raising_handler_leaves_no_temporary_file(server):
    r = httpx.post(server.url + '/boom', files={'f': ('a.bin', b'z' * (3 * MB))}, timeout=30)
    assert r.status_code == 500 and 'Traceback' not in r.text
    assert server.leftovers() == []
