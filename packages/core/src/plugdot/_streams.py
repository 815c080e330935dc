"""Responses whose body is a stream (an async or plain iterator, a
generator): sent chunk by chunk, stopped when the client leaves. A module of
its own, loaded by the first streamed response (on a board, code is heap)."""
import asyncio

from ._compat import MICROPYTHON

if MICROPYTHON:
    from ._compat import _GENERATOR, settle

    class GeneratorStream:
        """The items of a generator handler (plain or with awaits inside) as
        an async iterator; *first* is the item already taken, or None."""

        def __init__(self, first, gen):
            self.first = first
            self.gen = gen

        def __aiter__(self):
            return self

        async def __anext__(self):
            item, self.first = self.first, None
            if item is not None:
                return item
            return await settle(self.gen, self)

        def close(self):
            self.gen.close()

    def stream_of(body):
        """A response body safe to stream: a generator becomes an async
        iterator (its None items are taken as suspensions: yield no None)."""
        return GeneratorStream(None, body) if type(body) is _GENERATOR else body

else:
    from ._compat import stream_of


async def send_streamed(response, body, send, request):
    """Send *response*, whose *body* is a stream, through the ASGI *send*."""
    await send({'type': 'http.response.start', 'status': response.status,
                'headers': response._raw_headers(None)})
    response.started = True
    body = stream_of(body)
    if request.method == 'HEAD':
        await _close(body)
    elif not await send_stream(body, send, request):
        return  # the client left: nobody to end the body for
    await send({'type': 'http.response.body', 'body': b''})


async def send_stream(body, send, request):
    """Send the chunks of *body*; return False if the client left first.

    While it streams, a watcher task waits for ``http.disconnect`` and then
    cancels the streaming task, so that an endless stream (a camera feed, a
    live log) stops within moments of its visitor leaving, on any server;
    the iterator is closed either way (its ``finally`` runs). The watcher is
    only started once the request body has been read, since it consumes
    ``receive()``.
    """
    gone = []
    watcher = None
    if request.body_consumed():
        watcher = asyncio.create_task(
            _watch_disconnect(request.receive, asyncio.current_task(), gone))
    try:
        try:
            if hasattr(body, '__aiter__'):
                iterator = body.__aiter__()
                while True:
                    try:
                        chunk = await iterator.__anext__()
                    except StopAsyncIteration:
                        break
                    await _send_chunk(send, chunk)
            elif MICROPYTHON:
                for chunk in body:
                    await _send_chunk(send, chunk)
            else:
                await _send_sync_stream(body, send)
        finally:
            if watcher is not None:
                watcher.cancel()
            await _close(body)
            if watcher is not None:
                # Let the watcher take its cancellation now: a server may read
                # the next request on this connection as soon as the response
                # ends, and two reads waiting on one socket is an error.
                await asyncio.sleep(0)
    except asyncio.CancelledError:
        if not gone:
            raise
        task = gone[0]
        if hasattr(task, 'uncancel'):  # Python 3.11+: this cancellation is handled
            task.uncancel()
    return not gone


async def _send_sync_stream(body, send):
    # A plain generator may block between chunks (time.sleep, a sensor, a
    # file): on CPython each chunk is produced in a worker thread, so the
    # event loop keeps serving others while it waits.
    import contextvars
    loop = asyncio.get_running_loop()
    iterator, end, context = iter(body), object(), contextvars.copy_context()
    while True:
        pending = loop.run_in_executor(None, context.run, next, iterator, end)
        try:
            chunk = await asyncio.shield(pending)
        except asyncio.CancelledError:
            # Let the chunk being produced finish (bounded), so that the
            # generator is not running when it is closed.
            await asyncio.wait([pending], timeout=_SYNC_CLOSE_WAIT)
            raise
        if chunk is end:
            return
        await _send_chunk(send, chunk)


#: Seconds a cancelled sync stream waits for its current chunk before it is closed.
_SYNC_CLOSE_WAIT = 2


async def _watch_disconnect(receive, streaming, gone):
    try:
        while (await receive())['type'] != 'http.disconnect':
            pass  # body the handler did not read
    except Exception:  # the server can no longer tell (a MemoryError on a board): stop as if gone
        pass
    gone.append(streaming)
    streaming.cancel()


async def _send_chunk(send, chunk):
    if isinstance(chunk, str):
        chunk = chunk.encode()
    elif chunk is None:  # refused everywhere, so that a laptop shows what stalls a board
        raise TypeError('a streamed response yielded None: yield str or bytes only (on '
                        'MicroPython a None item stalls the response: its asyncio takes '
                        'None for a suspension)')
    if chunk:
        await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})


async def _close(body):
    close = getattr(body, 'aclose', None)
    if close is not None:
        await close()
        return
    close = getattr(body, 'close', None)
    if close is not None:
        close()
