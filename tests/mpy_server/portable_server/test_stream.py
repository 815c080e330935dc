"""The board server's socket stream (_Stream) when two tasks write to one
connection at once, as a WebSocket's sender and its reader (answering a
ping) do. Portable module; the stream exists on MicroPython only."""
import sys

MICROPYTHON = sys.implementation.name == 'micropython'


def test_two_tasks_writing_at_once_both_finish_and_nothing_is_lost():
    if not MICROPYTHON:
        return
    import asyncio
    import socket

    from plugdot_mpy_server.server import _IOQueue, _Stream

    big = bytes(range(256)) * 256  # more than the socket buffers take at once
    expected = big + b'PONG'
    got = [0, True]  # bytes received, all as expected (nothing kept: a 4m heap is fragmented by now)
    done = []

    async def main():
        # the I/O queue the server puts in asyncio's place (Server.start)
        asyncio.core._io_queue = _IOQueue(asyncio.core._io_queue)
        # a plain listening socket; the client reads only after both writes are queued
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for port in range(18990, 19090):  # (the unix port's socket has no getsockname)
            try:
                listener.bind(socket.getaddrinfo('127.0.0.1', port)[0][-1])
                break
            except OSError:
                pass
        listener.listen(1)
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, 8, 4096)  # SO_RCVBUF (Linux; not in the module)
        client.connect(socket.getaddrinfo('127.0.0.1', port)[0][-1])
        conn, addr = listener.accept()
        conn.setsockopt(socket.SOL_SOCKET, 7, 4096)  # SO_SNDBUF
        conn.setblocking(False)
        stream = _Stream(conn, addr)

        async def writer(data, name):
            stream.write(data)
            await stream.drain()
            done.append(name)

        a = asyncio.create_task(writer(big, 'big'))
        await asyncio.sleep_ms(0)
        b = asyncio.create_task(writer(b'PONG', 'pong'))
        await asyncio.sleep_ms(20)
        client.setblocking(False)
        for _ in range(500):
            try:
                chunk = client.recv(65536)
            except OSError:
                chunk = None
            if chunk:
                got[1] = got[1] and chunk == expected[got[0]:got[0] + len(chunk)]
                got[0] += len(chunk)
            if got[0] >= len(expected) and len(done) == 2:
                break
            await asyncio.sleep_ms(5)
        for task in (a, b):
            if not task.done():
                task.cancel()
        for s in (client, conn, listener):
            s.close()

    asyncio.run(main())
    assert sorted(done) == ['big', 'pong'], done
    assert got == [len(expected), True], (got, len(expected))
