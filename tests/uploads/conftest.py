"""Fixtures of the uploads tests."""
import hashlib

import pytest
from upload_support import BIG, Server


@pytest.fixture(scope='session')
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('src') / 'big.bin'
    block = hashlib.sha256(b'seed').digest() * 4096  # 128 KB, not compressible into a pattern
    with open(path, 'wb') as f:
        for i in range(BIG // len(block)):
            f.write(bytes([i % 251]) + block[1:])
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()



@pytest.fixture(scope='module', params=['hypercorn', 'uvicorn', 'mpy'])
def server(request, tmp_path_factory):
    srv = Server(request.param, tmp_path_factory.mktemp(request.param))
    yield srv
    srv.stop()
