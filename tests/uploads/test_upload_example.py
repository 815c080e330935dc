"""examples/upload_app.py through the TestClient."""
import importlib.util

from plugdot.testing import TestClient
from support import ROOT


def load(tmp_path, monkeypatch):
    monkeypatch.setenv('UPLOAD_DIR', str(tmp_path))
    spec = importlib.util.spec_from_file_location('upload_app', ROOT / 'examples' / 'upload_app.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_upload_page_form_and_firmware(tmp_path, monkeypatch):
    client = TestClient(load(tmp_path, monkeypatch))
    assert 'enctype="multipart/form-data"' in client.get('/').text
    r = client.post('/upload', data={'title': 'two'},
                    files={'doc': [('../a.txt', b'alpha', 'text/plain'), ('b.txt', b'beta')]})
    assert r.status_code == 200, r.text
    assert r.json()['saved'][0] == {'name': 'a.txt', 'size': 5, 'type': 'text/plain'}
    assert (tmp_path / 'a.txt').read_bytes() == b'alpha'
    assert (tmp_path / 'b.txt').read_bytes() == b'beta'
    assert '<li>a.txt</li>' in client.get('/').text
    r = client.post('/upload', data={'title': 'none'}, files={'doc': ('', b'')})
    assert r.status_code == 400 and 'Choose a file' in r.text
    r = client.post('/firmware', files={'image': ('fw.bin', b'\x00' * 100000)})
    assert r.json() == {'stored': 'fw.bin', 'size': 100000}
    assert (tmp_path / 'firmware-fw.bin').stat().st_size == 100000
