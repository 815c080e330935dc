"""A full heap on a board: a MemoryError that ends a connection gives its
place under ``max_connections`` back.

Found under the 32-bit MicroPython unix port with a tight heap (frozen
bundle, 40 KB, 20 streaming clients at once that then left): in about half
of the runs the server answered every later request with a 503 for as long
as it ran, every one of its ``max_connections`` places held by a connection
whose task had ended. Here the MemoryError is raised where a full heap
raises it (while a request is served), on CPython, so that the test is
deterministic; the code path is the same.
"""
import socket

import httpx

from plugdot_mpy_server import Limits
from plugdot_mpy_server import server as mpy_server


def test_a_memory_error_gives_the_connections_place_back(running, monkeypatch):
    serve = mpy_server.Exchange.run

    async def run(exchange):
        if exchange.request.target == b'/full':
            raise MemoryError('memory allocation failed')  # as on a board with no heap left
        return await serve(exchange)
    monkeypatch.setattr(mpy_server.Exchange, 'run', run)
    srv = running(Limits.for_cpython(max_connections=2))
    answers = []
    for _ in range(4):  # twice the cap, one after the other
        with socket.create_connection(('127.0.0.1', srv.port), timeout=5) as s:
            s.sendall(b'GET /full HTTP/1.1\r\nHost: a\r\n\r\n')
            answers.append(s.recv(100))
    # each dropped, nothing half-written; never a 503 (no place left)
    assert answers == [b''] * 4, answers
    r = httpx.get(srv.url + '/', timeout=5)
    assert r.status_code == 200, 'every place still held after MemoryErrors: %d' % r.status_code
