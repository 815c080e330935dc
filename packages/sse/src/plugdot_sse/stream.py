"""The stream: the ``sse`` object a handler writes to, the response body
that drains it, and the per-app registry of open streams.

A handler never writes to the socket itself. ``sse.send()`` frames the
event and puts the bytes in a small bounded queue; the response body (an
async iterator the core streams like any other) takes them out, and alone
writes keep-alive comments when the queue stays empty. One writer, so
events and pings never interleave, and no lock is needed.

The handler runs in its own task, started when the response starts. When
the client goes away the core closes the body (see docs/sse.md); closing
the body cancels that task, so its ``finally`` runs and nothing outlives
the visitor. A client that stops reading fills the queue: after
``sse_send_timeout`` seconds the stream is evicted.
"""
import asyncio

from plugdot import Response
from plugdot._compat import MICROPYTHON, log_exception, run_sync

from .framing import encode, encode_comment, to_frame

EVENT_STREAM = 'text/event-stream; charset=utf-8'
_OPENING = b':\n\n'  # sent first, so that clients and proxies see the stream open at once

# app -> the bodies of its open streams (the cap, graceful shutdown)
_OPEN = {}


if MICROPYTHON:
    async def _wait(event, timeout):
        """Wait for *event* up to *timeout* seconds; False if the time ran out."""
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
else:
    async def _wait(event, timeout):
        """Wait for *event* up to *timeout* seconds; False if the time ran out
        (the event is then set, so other waiters re-check their condition)."""
        # Not asyncio.wait_for: before Python 3.12 it loses a cancellation
        # that arrives just as the event is set -- and the core cancels the
        # stream of a client that left while events are flowing.
        expired = []

        def expire():
            expired.append(True)
            event.set()
        handle = asyncio.get_running_loop().call_later(timeout, expire)
        try:
            await event.wait()
        finally:
            handle.cancel()
        return not expired


class StreamClosed(Exception):
    """Sending on a stream that is closed: the client left, the handler
    closed it, or it was evicted for not reading."""


def open_streams(app):
    """The open event streams of *app* (a list of :class:`SSE`)."""
    return [body.sse for body in _OPEN.get(app, ())]


class SSE:
    """What an SSE handler writes to.

    ``await sse.send(data, event=None, id=None, retry=None)``,
    ``await sse.comment(text)``, ``await sse.close()``; ``sse.last_event_id``
    is the client's ``Last-Event-ID`` header (``None`` without one) and
    ``sse.closed`` tells whether sending still goes anywhere.
    """

    def __init__(self, request, queue_size=32, send_timeout=10.0):
        self.request = request
        self.closed = False
        self.evicted = False
        self._queue = []
        self._queue_size = max(1, queue_size)
        self._send_timeout = send_timeout
        self._ready = asyncio.Event()  # the body has something to take
        self._space = asyncio.Event()  # the queue has room again
        self._sender = None  # the task streaming the body (cancelled on eviction)

    @property
    def last_event_id(self):
        """The ``Last-Event-ID`` request header: where a reconnecting client
        left off (``None`` on a first connection)."""
        for name, value in self.request.scope['headers']:
            if name == b'last-event-id':
                return value.decode('utf-8', 'replace')
        return None

    async def send(self, data=None, event=None, id=None, retry=None):
        """Send one event. *data*: ``str`` (one ``data:`` line per line),
        ``bytes`` (UTF-8) or anything JSON can encode (compact JSON).
        ValueError for CR/LF/NUL in *event* or *id*, or a *retry* that is not
        an int of milliseconds; :class:`StreamClosed` once the stream is
        closed. Waits while the client is slow to read, up to
        ``sse_send_timeout`` seconds, then evicts it."""
        await self._put(encode(data, event, id, retry))

    async def comment(self, text=''):
        """Send a comment line (clients ignore it). ValueError on CR, LF, NUL."""
        await self._put(encode_comment(text))

    async def forward(self, messages, event=None):
        """Send every message of a plugdot-broadcast subscription as an
        event (its ``id`` the message id, so a reconnecting client resumes
        from it) until the client leaves; a ``resync`` marker becomes one
        ``resync`` event. *event* names the event type (default ``message``)."""
        async for message in messages:
            if message.resync:
                await self.send('', event='resync')
            else:
                await self.send(message.data, event, message.id)

    async def close(self):
        """End the stream once what is queued has been sent. (An
        ``EventSource`` reconnects after ``retry`` ms unless the page closes
        it: send an event that tells it to stop first if it should.)"""
        self._end()

    def _end(self):
        self.closed = True
        self._ready.set()
        self._space.set()

    async def _put(self, frame):
        while True:
            if self.closed:
                raise StreamClosed('the event stream is closed')
            if len(self._queue) < self._queue_size:
                break
            self._space.clear()
            if not await _wait(self._space, self._send_timeout) and not self.closed \
                    and len(self._queue) >= self._queue_size:
                self._evict()
        self._queue.append(frame)
        self._ready.set()

    def _evict(self):
        # The client has not read for sse_send_timeout seconds while the
        # queue was full: the body is stuck in the server's send(), so only
        # cancelling the task that streams it frees the connection.
        self.evicted = True
        self._end()
        if self._sender is not None:
            self._sender.cancel()
        raise StreamClosed('the client stopped reading; stream evicted')


class Body:
    """The response body of an event stream: an async iterator of bytes
    that starts the producer, drains the queue and writes keep-alives."""

    def __init__(self, sse, produce, ping_interval):
        self.sse = sse
        self._produce = produce
        self._ping = ping_interval
        self._task = None
        self._started = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        sse = self.sse
        if not self._started:
            self._started = True
            sse._sender = asyncio.current_task()
            self._task = asyncio.create_task(self._run())
            return _OPENING
        while True:
            queue = sse._queue
            if queue:
                frames = b''.join(queue)
                del queue[:]
                sse._space.set()
                return frames
            if sse.closed:
                raise StopAsyncIteration
            sse._ready.clear()
            if not self._ping:
                await sse._ready.wait()
            elif not await _wait(sse._ready, self._ping) and not sse._queue and not sse.closed:
                return b':\n\n'  # keep-alive

    async def _run(self):
        try:
            await self._produce(self.sse)
        except StreamClosed:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log_exception('Error in the event stream of %s' % self.sse.request.path, exc)
        finally:
            self.sse._end()

    async def aclose(self):
        """The response is over (the client left, or the stream ended):
        cancel the producer and wait for its ``finally`` to run."""
        self.sse._end()
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except BaseException:  # its cancellation, or what it raised on the way out
                pass


def _iterator_producer(source):
    """A producer that sends what *source* (an iterator of events) yields."""
    async def produce(sse):
        if hasattr(source, '__aiter__'):
            iterator = source.__aiter__()
            try:
                while True:
                    try:
                        item = await iterator.__anext__()
                    except StopAsyncIteration:
                        break
                    await sse._put(to_frame(item))
            finally:
                close = getattr(iterator, 'aclose', None)
                if close is not None:
                    await close()
        elif MICROPYTHON:  # no threads to spare: iterate on the loop
            try:
                for item in source:
                    await sse._put(to_frame(item))
            finally:
                close = getattr(source, 'close', None)
                if close is not None:
                    close()
        else:
            await run_sync(_pump_in_thread, source, sse, asyncio.get_running_loop())
    return produce


def _pump_in_thread(source, sse, loop):
    # A sync generator runs in a worker thread, so a blocking producer
    # (a sensor read, time.sleep) never stalls the event loop. The put is
    # done on the loop; StreamClosed stops the generator at its next yield.
    from concurrent.futures import TimeoutError as Waiting  # the builtin one only from 3.11
    try:
        for item in source:
            done = asyncio.run_coroutine_threadsafe(sse._put(to_frame(item)), loop)
            while True:
                try:
                    done.result(1)
                    break
                except Waiting:  # the queue is full: the client reads slowly
                    if sse.closed or loop.is_closed():
                        done.cancel()
                        return
            if sse.closed:
                break
    except StreamClosed:
        pass
    finally:
        close = getattr(source, 'close', None)
        if close is not None:
            close()


class EventStream(Response):
    """A ``text/event-stream`` response.

    *source* is an async (or sync) iterator of events — :class:`Event`,
    dicts with keys ``data``/``event``/``id``/``retry``, or ``str`` data —
    or a coroutine function ``produce(sse)`` (what ``@with_sse`` gives).
    A sync iterator runs in a worker thread on CPython. The ``sse_*``
    settings are read from *app* (default: the app serving the request; give
    the sub-app for a stream of a mounted app, as ``@with_sse`` does).
    """

    # A compression plugin must never buffer an event stream: it checks this.
    compressible = False

    def __init__(self, source, status=200, headers=None, app=None):
        if isinstance(source, (str, bytes, bytearray, dict)) or not (
                callable(source) or _is_iterator(source)):
            raise TypeError('EventStream takes an iterator of events or a function '
                            'produce(sse), not %s' % type(source).__name__)
        Response.__init__(self, b'', status, headers, EVENT_STREAM)
        self.source = source
        self.app = app
        h = self.headers
        h['Cache-Control'] = 'no-store'
        h['X-Accel-Buffering'] = 'no'

    async def send(self, send, request):
        """Stream the events (or answer 503 past ``sse_max_streams``)."""
        app = self.app or request.app
        config = app.config
        streams = _OPEN.get(app)
        if streams is None:
            streams = _OPEN[app] = []
        limit = config.get('sse_max_streams', 0)
        source = self.source
        produce = source if not _is_iterator(source) else _iterator_producer(source)
        if limit and len(streams) >= limit:
            await _close_source(source)
            refusal = Response('Too many open event streams; retry later.\n', 503,
                               {'Retry-After': str(config.get('sse_retry_after', 5))},
                               'text/plain; charset=utf-8')
            await refusal.send(send, request)
            self.started = True
            return
        sse = SSE(request, config.get('sse_queue_size', 32), config.get('sse_send_timeout', 10.0))
        body = self.body = Body(sse, produce, config.get('sse_ping_interval', 15.0))
        streams.append(body)
        try:
            await Response.send(self, send, request)
        except asyncio.CancelledError:
            if not sse.evicted:
                raise
            # Our own cancellation (see SSE._evict): the connection is given
            # up on, quietly -- not an error of the app for the server to log.
            uncancel = getattr(sse._sender, 'uncancel', None)
            if uncancel is not None:
                uncancel()
        finally:
            streams.remove(body)
            if not streams:
                del _OPEN[app]


def _is_iterator(value):
    return hasattr(value, '__aiter__') or hasattr(value, '__next__') or hasattr(value, '__iter__')


async def _close_source(source):
    close = getattr(source, 'aclose', None)
    if close is not None:
        await close()
        return
    close = getattr(source, 'close', None)
    if close is not None:
        close()


async def shutdown_streams(app, event='shutdown', data='', timeout=2.0):
    """Send every open stream of *app* a last event (none if *event* is
    empty), close them, and wait up to *timeout* seconds for them to end."""
    streams = list(_OPEN.get(app, ()))
    for body in streams:
        sse = body.sse
        if event and not sse.closed:
            sse._queue.append(encode(data, event))
        sse._end()
    waited = 0.0
    while _OPEN.get(app) and waited < timeout:
        await asyncio.sleep(0.02)
        waited += 0.02
