"""The asyncio side: sockets, timeouts, the connection cap, ASGI glue.

Written once for MicroPython and CPython. All HTTP parsing and serializing
is in :mod:`plugdot_mpy_server.protocol`; this module only moves bytes and
ASGI messages, so it stays small. A plugdot App is called through the steps
of its ASGI call rather than the call itself (see :class:`Server`).

Timeouts are enforced by one watchdog task per server, not by
``asyncio.wait_for`` around each read and write: a connection records the
deadline of the I/O it waits on, and the watchdog cancels a connection
whose deadline has passed. ``wait_for`` would create a task per read — heap
held by every idle connection on a board, and time on every request.
"""
import asyncio
import gc
import time

from plugdot._compat import MICROPYTHON, unquote
from plugdot.request import Request as AppRequest

from .protocol import (END, NEED_DATA, Limits, ProtocolError, RequestParser, error_response,
                       is_upgrade, response_head)


# A deadline is opaque: made by _deadline, read only through _left. On a
# board it is a tick count in ms, which wraps (every 12.4 days on a 32-bit
# port); ticks_add/ticks_diff see across the wrap, `>=` and floats do not.
if MICROPYTHON:
    def _deadline(seconds):
        return time.ticks_add(time.ticks_ms(), int(seconds * 1000))

    def _left(deadline):
        return time.ticks_diff(deadline, time.ticks_ms()) / 1000

    def _due(deadline):  # _left(deadline) <= 0 without a float: works on a full heap
        return time.ticks_diff(deadline, time.ticks_ms()) <= 0
else:
    def _deadline(seconds):
        return time.monotonic() + seconds

    def _left(deadline):
        return deadline - time.monotonic()

    def _due(deadline):
        return deadline <= time.monotonic()


if MICROPYTHON:
    # On a board the server accepts and wraps client sockets itself, rather
    # than with asyncio.start_server: asyncio.stream is not loaded (~0.9 KB
    # of heap for what the server does not use), and a client costs no
    # Stream with a dict of its address.
    class _Stream:
        """A client's socket as the reader and writer of its connection: the
        part of asyncio's ``Stream`` that the server uses (``read``, ``write``
        and ``drain`` are asyncio.stream's), and the client's address."""

        out = b''  # what the socket has not taken yet (drain() writes it)
        draining = False  # a task's drain() is writing .out
        # One buffer for every read of every client (Server.start makes it
        # read_size long): a read copies out only the bytes that came. A
        # socket's own read(n) takes one block of n bytes first, which a
        # full, fragmented heap may not have even when the bytes would fit.
        # (No await between filling it and copying: one buffer is enough.)
        buf = b''

        def __init__(self, sock, addr):
            self.sock = sock
            self.addr = addr  # the client's raw sockaddr

        def read(self, n):  # awaitable, as asyncio's own I/O: a generator
            while True:
                try:
                    yield asyncio.core._io_queue.queue_read(self.sock)
                except MemoryError:  # nothing was queued (see _IOQueue): free, wait again
                    gc.collect()
                    yield from asyncio.sleep_ms(10)
                    continue
                got = self.sock.readinto(self.buf, min(n, len(self.buf)))
                if got is not None:
                    return bytes(memoryview(self.buf)[:got])

        def write(self, data):
            if not self.out:  # at once if the socket takes it
                n = self.sock.write(data)
                if n == len(data):
                    return
                if n is not None:
                    data = data[n:]
            self.out += data

        def drain(self):
            if not self.out:  # it always yields: a loop of write and drain cannot block the others
                return (yield from asyncio.sleep_ms(0))
            # One task at a time waits on the socket: asyncio's poller keeps
            # one writer per socket, and a second would take the first's
            # place (its drain never returning) while the first's end would
            # drop what the second added. Another task's drain (a WebSocket
            # reader's pong while the app sends) waits for the writer, whose
            # loop sends what was added meanwhile too.
            while self.draining:
                yield from asyncio.sleep_ms(5)
                if not self.out:
                    return
            self.draining = True
            out = None
            done = 0
            try:
                while self.out:
                    out = self.out
                    view = memoryview(out)
                    done = 0
                    while done < len(out):
                        try:
                            yield asyncio.core._io_queue.queue_write(self.sock)
                        except MemoryError:
                            gc.collect()
                            yield from asyncio.sleep_ms(10)
                            continue
                        n = self.sock.write(view[done:])
                        if n is not None:
                            done += n
                    # (write() appended what came meanwhile: a new object)
                    self.out = b'' if self.out is out else self.out[len(out):]
                    out = None
            finally:
                self.draining = False
                if out is not None and done:  # cut short (cancelled): keep only what is unsent
                    self.out = self.out[done:]

    # Heap kept free for _mend (bytes): what completing and removing a
    # poller entry allocates, with room to spare. None while used up.
    _RESERVE = 128
    _reserve = None

    class _IOQueue(asyncio.core.IOQueue):
        """asyncio's I/O queue (its map of waiting tasks and its poller) made
        safe on a full heap; Server.start puts it in asyncio's place, with
        the same poller and map.

        asyncio's own adds a waiting task to its map, then registers the
        socket with the poller, and that register is itself two steps in
        MicroPython (modselect.c's poll_set_add_obj: an entry in the
        poller's map, then the object behind it). A MemoryError between
        those two leaves an entry with no object behind it, and the next
        poll, unregister or modify dereferences it: the process crashes (a
        segmentation fault under a flood at a small heap, trial 14). Here
        every failed register is mended before anything else runs (see
        _mend), a wait is queued whole or not at all (the caller gets the
        MemoryError with nothing changed), and a socket is removed from the
        poller before the map, so that neither holds what the other does
        not. The usual path allocates what asyncio's does, no more."""

        def __init__(self, queue):  # takes over *queue*: its poller and waiting tasks
            self.poller = queue.poller
            self.map = queue.map

        def _enqueue(self, s, idx):
            global _reserve
            core = asyncio.core
            key = id(s)  # a heap int on a 32-bit unix port: a MemoryError here changes nothing
            entry = self.map.get(key)
            if entry is None:
                if _reserve is None:  # no wait is queued without the heap _mend needs
                    _reserve = bytearray(_RESERVE)
                entry = [None, None, s]
                entry[idx] = core.cur_task
                self.map[key] = entry
                try:
                    self.poller.register(s, 4 if idx else 1)  # select.POLLOUT, POLLIN
                except BaseException:
                    del self.map[key]  # (the key exists: no allocation)
                    _mend(self.poller, s)
                    raise
            else:  # the socket's other direction is waited on: both
                entry[idx] = core.cur_task
                try:
                    self.poller.modify(s, 5 if entry[1 - idx] is not None else 4 if idx else 1)
                except BaseException:
                    entry[idx] = None
                    raise
            core.cur_task.data = self  # (for Task.cancel, as asyncio's)

        def _dequeue(self, s):
            key = id(s)
            self.poller.unregister(s)  # first: a MemoryError in it leaves both as they were
            del self.map[key]

        def wait_io_event(self, dt):
            # asyncio's, but a socket the poller reports and the map does not
            # know (an entry _mend could not remove) is dropped, where
            # asyncio's would raise KeyError out of the scheduler.
            queue = asyncio.core._task_queue
            for s, ev in self.poller.ipoll(dt):
                sm = self.map.get(id(s))
                if sm is None:
                    self.poller.unregister(s)
                    continue
                if ev & ~4 and sm[0] is not None:  # POLLIN or an error
                    queue.push(sm[0])
                    sm[0] = None
                if ev & ~1 and sm[1] is not None:  # POLLOUT or an error
                    queue.push(sm[1])
                    sm[1] = None
                if sm[0] is None and sm[1] is None:
                    self._dequeue(s)
                else:
                    self.poller.modify(s, 4 if sm[0] is None else 1)

    def _mend(poller, s):
        # poller.register(s) failed. If it failed between its two steps, the
        # poller's map holds s with nothing behind it, and only register()
        # completes that entry (unregister() on it crashes): do it with the
        # reserve freed, then remove the entry. Plain function, no generator:
        # nothing here allocates before the reserve is freed.
        global _reserve
        _reserve = None
        gc.collect()
        try:
            poller.register(s, 0)
            poller.unregister(s)
        except Exception:  # s is no stream (nothing to mend), or the heap is gone
            pass

    def _grow_poller(poller, count):
        # Give the poller room for *count* sockets while the heap is fresh:
        # its array of pollfds only grows (by 4 entries, reallocated), and a
        # growth that fails under a flood is a half-made entry whose mending
        # needs that same growth. Registered as fd numbers, then removed.
        fd = 0
        while fd < count:
            try:
                poller.register(fd, 0)
            except BaseException:
                _mend(poller, fd)
                raise
            fd += 1
        while fd:
            fd -= 1
            poller.unregister(fd)

    def _refuse_busy(sock):
        # A 503 in place past max_connections, then close (an awaitable: a
        # generator). No wait in asyncio's poller and no task of
        # asyncio.wait_for: a flood of refused clients then costs the heap
        # of their sockets, no more. The few bytes usually go into the
        # socket's empty send buffer at once (else, as during a TLS
        # handshake, they are tried again). What the client sent is read
        # (for up to 0.5 s, sleeping between tries, which allocates nothing)
        # so that the close does not reset the connection before the client
        # has read the 503.
        try:
            try:
                out = error_response(503)
            except MemoryError:
                gc.collect()
                out = error_response(503)
            seen = tries = quiet = 0
            while tries < 25 and quiet < 2:
                if out:
                    n = sock.write(out)
                    if n:
                        out = out[n:]
                got = sock.readinto(_Stream.buf)
                if got == 0:  # the client closed its side
                    break
                if got:
                    seen += got
                    quiet = 0
                    if seen < 65536:  # (bounded, as Connection._refuse)
                        continue
                    break
                tries += 1  # nothing (more) yet
                if seen and not out:
                    quiet += 1
                yield from asyncio.sleep_ms(20)
        except Exception:
            pass
        finally:
            try:
                sock.close()
            except Exception:
                pass

    def _serve(server, sock):
        # The accept loop (asyncio.stream's, with a _Stream per client): a
        # generator, run as a task.
        limits = server.limits
        while True:
            if len(server.connections) + server.refusing >= (limits.max_connections
                                                              + limits.max_refusing):
                # Clients past the cap are refused a few at a time; the others
                # wait in the listen backlog (heap for none of them meanwhile).
                yield from asyncio.sleep_ms(10)
                continue
            try:
                yield asyncio.core._io_queue.queue_read(sock)
            except MemoryError:  # nothing was queued (see _IOQueue): free, wait again
                gc.collect()
                yield from asyncio.sleep_ms(10)
                continue
            try:
                client, addr = sock.accept()
            except Exception:  # a failed accept is ignored
                continue
            if server.tls:
                try:
                    client = server.tls.wrap_socket(client, server_side=True,
                                                    do_handshake_on_connect=False)
                except OSError:
                    client.close()
                    continue
            client.setblocking(False)
            try:
                stream = _Stream(client, addr)
                asyncio.create_task(server._accept(stream, stream))
            except MemoryError:  # no room for this client: drop it, serve the next
                client.close()
                gc.collect()
            client = addr = stream = None  # not held once the client is gone


# The client went away (``OSError(32, 'connection closed')``) or timed out
# (``OSError(32, 'timed out')``: the client is there, but too slow): the I/O
# of a connection (Connection._io, _read, _write) raises an OSError with errno
# EPIPE, so that an app sees what a broken socket is, and the connection
# closes without answering. (No class of its own: heap on a board. An ASGI
# app's own EPIPE is taken for the client leaving, as App.send_failed does.)

def request_target(request):
    """``(path, raw_path, query)`` of a parsed request for its ASGI scope, the
    path percent-decoded; ProtocolError 400 when malformed. (The parser already
    refused non-ASCII bytes in the target; a malformed escape or invalid UTF-8
    after decoding is the client's error.)"""
    target = request.target
    if target[:1] != b'/':
        if target == b'*':
            return '*', b'*', b''
        # absolute-form: http://host/path?query
        rest = target.split(b'://', 1)[1]
        slash = rest.find(b'/')
        target = rest[slash:] if slash >= 0 else b'/'
    raw_path, _, query = target.partition(b'?')
    try:
        return unquote(raw_path.decode()), raw_path, query
    except (ValueError, UnicodeError):
        raise ProtocolError(400, 'malformed percent-escape in path')


class Server:
    """An HTTP/1.1 server driving one ASGI app.

    ``await server.start(host, port, ssl=None)`` starts listening and
    returns; other asyncio tasks keep running beside it. ``await
    server.stop()`` shuts down gracefully. *limits* is a
    :class:`~plugdot_mpy_server.Limits` (small-board defaults on MicroPython,
    roomier ones on CPython); *access_log* prints one line per request.

    A plugdot App whose ASGI call is plugdot's own is called directly
    (``direct``): :meth:`plugdot.App.respond` and ``Response.send``, the
    steps its ASGI call runs, without that call's frame held while the
    handler runs (heap on a board); any other app is called as ASGI.
    """

    # Class-level defaults: a running server stores only what it changed.
    rejected = 0  # connections refused past max_connections (a 503 each)
    logged = 0  # how many of them the access log has counted
    refusing = 0  # those being refused now (on a board)
    websockets = 0  # open WebSockets (counted against limits.max_websockets)
    closing = False
    listener = None
    tls = None  # the SSL context, if any
    _lifespan = None
    _watchdog = None
    direct = False

    def __init__(self, app, limits=None, access_log=False):
        self.app = app
        from plugdot.app import App  # (here: a module-level name less on a board)
        if isinstance(app, App) and type(app).__call__ is App.__call__:
            self.direct = True
        self.limits = limits or (Limits() if MICROPYTHON else Limits.for_cpython())
        self.access_log = access_log
        self.connections = set()

    async def start(self, host='0.0.0.0', port=80, ssl=None):
        """Run the app's lifespan startup, then listen on *host*:*port*."""
        app = self.app
        if getattr(app, 'stopping', None) is not None:
            # A plugdot App: its startup() and shutdown() are what its lifespan
            # runs, awaited here and in stop(), so that no task, frame or event
            # is held for the server's whole life (heap on a board). As with
            # the lifespan scope, shutdown runs once, and only after a startup
            # that succeeded (_lifespan True).
            try:
                await app.startup()
            except Exception as exc:
                raise RuntimeError('lifespan startup failed: %s: %s' % (type(exc).__name__, exc))
            self._lifespan = True
        else:  # any other ASGI app: the lifespan scope, run by a task (lifespan.py)
            from .lifespan import start
            self._lifespan = start(app)
            await self._lifespan('startup')
        if ssl is not None:
            self.tls = ssl
        if MICROPYTHON:
            # The listening socket (listener) and the task of the accept loop
            # (accepting, see _serve): the watchdog restarts the loop on the
            # same socket if a MemoryError killed it.
            import socket
            sock = socket.socket()
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(socket.getaddrinfo(host, port)[0][-1])
            sock.listen(self.limits.backlog)
            if len(_Stream.buf) < self.limits.read_size:  # (see _Stream.buf)
                _Stream.buf = bytearray(self.limits.read_size)
            if not isinstance(asyncio.core._io_queue, _IOQueue):  # (see _IOQueue)
                # (setattr with the name as a string: the bundler then keeps
                # asyncio's name, as for every name a string of the bundle holds)
                setattr(asyncio.core, '_io_queue', _IOQueue(asyncio.core._io_queue))  # noqa: B010
                # room for the connections, the listener and a few sockets of the app's own
                _grow_poller(asyncio.core._io_queue.poller, self.limits.max_connections + 8)
            self.listener = sock
            self.accepting = asyncio.create_task(_serve(self, sock))
            await asyncio.sleep(0)  # let it start
        else:
            kwargs = {'backlog': self.limits.backlog}
            if ssl is not None:
                kwargs['ssl'] = ssl
            self.listener = await asyncio.start_server(self._accept, host, port, **kwargs)
        self._watchdog = asyncio.create_task(self._watch())
        return self

    async def _watch(self):
        # The check interval (ms): a fifth of the shortest timeout, at least 50 ms.
        limits = self.limits
        tick = max(50, int(min(limits.header_timeout, limits.body_timeout,
                               limits.keepalive_timeout, limits.ws_ping_interval,
                               limits.ws_ping_timeout) * 200))
        pause = tick
        while True:
            # This task must outlive anything, a full heap above all: catch,
            # free, and back off (up to 2 s) until an allocation works again.
            try:
                # (ms as an int on a board: no float on the heap)
                await (asyncio.sleep_ms(pause) if MICROPYTHON else asyncio.sleep(pause / 1000))
                for conn in self.connections:  # this only cancels: no copy needed
                    if conn.deadline is not None and _due(conn.deadline) and not conn.expired:
                        conn.expired = True  # the I/O waited on timed out
                        conn.task.cancel()
                conn = None  # not held once it is closed
                if self.rejected != self.logged and self.access_log:
                    # One line per tick for the connections refused since the
                    # last, not one each: a flood would be a flood of lines
                    # too (and printing is slow on a board's serial console).
                    print('- - "-" 503 (%d connection%s past max_connections=%d refused)'
                          % (self.rejected - self.logged, '' if self.rejected - self.logged == 1
                             else 's', self.limits.max_connections))
                    self.logged = self.rejected
                if MICROPYTHON and self.accepting.done() and not self.closing:
                    # The accept loop died (a MemoryError in it is not
                    # caught there): serve the same socket again.
                    self.accepting = asyncio.create_task(_serve(self, self.listener))
                pause = tick
            except Exception:
                gc.collect()
                pause = min(pause * 2, 2000)

    async def stop(self):
        """Stop accepting, tell a plugdot app (``App.stopping()``: event
        streams end), let in-flight requests finish (up to
        ``limits.shutdown_timeout``), close idle connections, then run the
        lifespan shutdown. (Its code is in lifespan.py, loaded when a server
        stops: a board seldom does, and holds no heap for it meanwhile.)"""
        from .lifespan import stop
        await stop(self)

    async def serve_forever(self):
        """Wait until :meth:`stop` is called."""
        while not self.closing:
            try:
                await (asyncio.sleep_ms(200) if MICROPYTHON else asyncio.sleep(0.2))
            except MemoryError:  # a full heap must not end the server
                gc.collect()

    # -- connections ----------------------------------------------------------------
    def _accept(self, reader, writer):
        # A client: the coroutine that serves it (the accept loop makes it a
        # task), returned rather than awaited here, so that a connection
        # holds no frame of the server's (heap on a board). (Not made in the
        # accept loop itself: the stale stack slots of its frame would keep
        # the last connection alive after it closed.)
        return Connection(self, reader, writer).run()


class Connection(RequestParser):
    """One client connection: requests in sequence (keep-alive, pipelining).
    It is its own request parser (one object less per connection, held
    while it waits on a board)."""

    # Class-level defaults: every attribute an instance does not set is heap
    # an idle connection on a board does not hold.
    deadline = None  # when the I/O waited on times out (see Server._watch)
    expired = False
    idle = True  # waiting for a request (closed at once on shutdown)
    peer = local = None  # (host, port) of the client and of the server, at the first request

    def __init__(self, server, reader, writer):
        self.server = server
        self.limits = server.limits
        self.reader = reader
        self.writer = writer

    def addresses(self):
        """Look up ``peer`` and ``local``, ``(host, port)`` or None (once per
        connection)."""
        if self.peer is not None:
            return
        for name in ('peername', 'sockname'):
            try:
                if MICROPYTHON:  # the server's _Stream: the client's address (no local one)
                    value = self.writer.addr if name == 'peername' else None
                else:
                    value = self.writer.get_extra_info(name)
                if isinstance(value, (bytes, bytearray)):  # MicroPython's unix port: a raw sockaddr
                    import socket
                    family, addr, port = socket.sockaddr(value)[:3]
                    if len(addr) == 4:  # IPv4, else IPv6
                        value = ('%d.%d.%d.%d' % tuple(addr), port)
                    else:
                        value = (':'.join('%x' % (addr[i] << 8 | addr[i + 1])
                                          for i in range(0, 16, 2)), port)
                if not (isinstance(value, tuple) and len(value) >= 2):
                    value = None
                elif len(value) > 2:  # IPv6: (host, port, flowinfo, scope id)
                    value = value[:2]
            except Exception:
                value = None
            if name == 'peername':
                self.peer = value
            else:
                self.local = value

    async def _io(self, awaitable, deadline):
        # Await socket I/O until *deadline* (made by _deadline), which the
        # watchdog enforces: OSError(32) on timeout or a socket error.
        self.deadline = deadline
        try:
            return await awaitable
        except asyncio.CancelledError as exc:
            self._expired(exc)
            raise OSError(32, 'timed out')
        except OSError:
            raise OSError(32, 'connection closed')
        finally:
            self.deadline = None

    async def _read(self, timeout):
        data = await self._io(self.reader.read(self.limits.read_size), _deadline(timeout))
        if not data:
            raise OSError(32, 'connection closed')
        return data

    def _expired(self, cancelled):
        # A cancellation reached the I/O: ours (the deadline passed) is
        # handled here and the caller closes; anyone else's goes on.
        if not self.expired:
            raise cancelled
        self.expired = False  # handled: a later deadline may expire again
        uncancel = getattr(self.task, 'uncancel', None)
        if uncancel is not None:  # CPython 3.11+: this cancellation is handled
            uncancel()

    async def _write(self, data, timeout=None):
        try:
            self.writer.write(data)  # MicroPython writes at once: EPIPE comes here
        except OSError:
            raise OSError(32, 'connection closed')
        if MICROPYTHON and not self.writer.out:
            # The socket took it all: what drain() would do then (let the
            # others run), without its generator and _io's frame (heap for
            # every response on a board). sleep_ms(0) allocates nothing.
            await asyncio.sleep_ms(0)
            return
        await self._io(self.writer.drain(), _deadline(timeout or self.limits.body_timeout))

    async def run(self):
        """Serve requests until the client or the server closes, then close
        (past ``max_connections``, or once the server is closing: a quick
        503). It is the connection's task, with no frame of the server's
        above it.

        The head of each request is read here rather than in a helper: an
        idle connection waits in this frame, and each coroutine frame it
        holds is heap on a board. So is each local: self.limits is read
        where needed. And since MicroPython's collector scans the whole
        frame, stale values in its stack slots included, no statement that
        handles a request is deeper than three values (the head-reading
        statements overwrite those): a deeper slot would keep the last
        request's objects alive while the connection waits."""
        if self.server.closing or len(self.server.connections) >= self.limits.max_connections:
            if MICROPYTHON:  # in place (see _refuse_busy), counted for the accept loop
                try:
                    # (the first count of each is an attribute the server
                    # stores: heap that a full one may not have)
                    self.server.rejected += 1  # (logged as a count: Server._watch)
                    self.server.refusing += 1
                except MemoryError:
                    self._shut()
                    return
                try:
                    await _refuse_busy(self.writer.sock)
                except Exception:  # no heap for even that: closed at once
                    self._shut()
                finally:
                    self.server.refusing -= 1
                return
            self.server.rejected += 1
            try:  # past the cap: a quick 503, never a hung client
                self.writer.write(error_response(503))
                await asyncio.wait_for(self.writer.drain(), 1)
                # Take what the client sent, briefly: a socket closed with
                # unread bytes is reset, and the client may lose the 503.
                await asyncio.wait_for(self.reader.read(self.limits.read_size), 0.5)
            except Exception:
                pass
            await self._close()
            return
        try:
            # (in the try: storing either may need heap a full one lacks)
            self.task = asyncio.current_task()
            self.server.connections.add(self)
            first = True
            while True:
                deadline = None  # for the whole head, from its first byte
                try:
                    while True:
                        request = self.next_event()
                        if request is not NEED_DATA:
                            break
                        if deadline is None and self.buffer:
                            deadline = _deadline(self.limits.header_timeout)
                        # what _io does, inline (no local for the timeout: heap while idle)
                        if deadline is None:  # waiting for the first byte of a request
                            if self.server.closing and not first:
                                return
                            self.deadline = _deadline(self.limits.header_timeout if first
                                                      else self.limits.keepalive_timeout)
                        else:
                            if _due(deadline):
                                raise ProtocolError(408, 'request head too slow')
                            self.deadline = deadline
                        try:
                            data = await self.reader.read(self.limits.read_size)
                        except asyncio.CancelledError as exc:
                            self._expired(exc)
                            data = b''
                        except OSError:
                            data = b''
                        finally:
                            self.deadline = None
                        if not data:
                            if deadline is not None and _due(deadline):
                                raise ProtocolError(408, 'request head too slow')
                            return
                        self.feed(data)
                except ProtocolError as exc:
                    await self._refuse(exc)
                    return
                self.idle = False
                first = False
                if is_upgrade(request):  # the WebSocket code loads only when a client asks for it
                    from .wsserver import upgrade
                    await upgrade(self, request)
                    return
                # The app runs in this frame, not in a method of the exchange: a
                # frame less held while its handler runs (heap on a board).
                exchange = Exchange(self, request)
                try:
                    scope = http_scope(self, request)
                except ProtocolError as exc:
                    await self._refuse(exc)
                    return
                try:
                    if self.server.direct:  # a plugdot App: the steps of its ASGI call (see Server)
                        request = _app_request(scope, exchange)
                        response = request.app.respond(request)
                        response = await response
                        await _send_response(request, response)
                    else:
                        await _asgi_call(scope, exchange)
                except Exception as exc:
                    if isinstance(exc, OSError) and exc.errno == 32:
                        exchange.disconnected = True  # the client left: end() logs it cut short
                    elif not exchange.head_sent:  # else end() logs it cut short
                        exchange.error = ProtocolError(500, 'application error')
                finally:
                    if exchange.finished is not None:
                        exchange.finished.set()
                if not await exchange.end(scope) or self.server.closing:
                    return
                exchange = scope = response = None  # not held while the connection waits
                self.start_next()
                self.idle = True
        except MemoryError:  # drop this connection (closed below), free, serve the next one
            self.server.connections.discard(self)  # its slot comes back at once
            request = exchange = scope = response = None
            if self.buffer:  # (then stored already: no heap needed to empty it)
                self.buffer = b''
            gc.collect()
            if self.server.access_log:  # else a maker sees a client fail and no reason
                try:
                    print('%s - "-" - (out of memory: connection dropped)'
                          % (self.peer[0] if self.peer else '-'))
                except MemoryError:
                    pass
        except asyncio.CancelledError:
            if not self.expired:
                raise
        except Exception:
            pass  # a broken connection must never take the server down
        finally:
            self.server.connections.discard(self)
            if MICROPYTHON:
                self._shut()
            else:
                await self._close(self.limits.body_timeout)

    def _shut(self):
        # On a board: the socket closed in place, as _close does there, but
        # with no coroutine to make, which a full heap may refuse (a socket
        # never closed leaves its client waiting).
        try:
            self.writer.sock.close()
        except Exception:
            pass

    async def _close(self, timeout=1):
        try:
            if MICROPYTHON:  # closed at once: no wait_for (asyncio.funcs not loaded for it)
                self.writer.sock.close()
            else:
                self.writer.close()
                await asyncio.wait_for(self.writer.wait_closed(), timeout)
        except Exception:
            pass
        if not MICROPYTHON:
            # CPython's close() keeps the socket and every unsent byte until the
            # client reads them, which one that stopped reading never does: what
            # it has not taken within *timeout* (body_timeout: the rule for any
            # write) is dropped.
            transport = getattr(self.writer, 'transport', None)
            if transport is not None:
                transport.abort()

    async def _refuse(self, exc):
        """Answer *exc* (a ProtocolError) with its status and reason, then
        close after a lingering read."""
        if self.server.access_log:
            self.addresses()
            print('%s - "-" %d (%s)' % ((self.peer[0] if self.peer else '-',) + exc.args))
        try:
            await self._write(error_response(*exc.args), 2)
        except Exception:
            return
        # Lingering close: closing with unread request bytes makes the kernel
        # send a reset that can destroy the error response before the client
        # reads it. Read and drop a little for a moment first.
        dropped = 0
        deadline = _deadline(0.5)  # bounded in total, or a slow client could keep it
        try:
            while dropped < 65536 and not _due(deadline):
                data = await self._io(self.reader.read(self.limits.read_size), deadline)
                if not data:
                    return
                dropped += len(data)
        except Exception:
            pass


# One dict for every scope: apps read it, and a copy per request is garbage on a board.
ASGI = {'version': '3.0', 'spec_version': '2.3'}


def http_scope(conn, request):
    """The ASGI ``http`` scope of *request* (a parsed head) on *conn*;
    ProtocolError 400 if its target is malformed. (Not in Exchange.run: its
    frame, held while the app runs, would keep room for every local here.)"""
    path, raw_path, query = request_target(request)
    conn.addresses()
    # `root_path` ('') and an unknown `server` (None) are left to their ASGI
    # defaults: a dict of 10 entries is 16 bytes less, held in flight.
    scope = {
        'type': 'http', 'asgi': ASGI,
        'http_version': request.version, 'method': request.method,
        'scheme': 'https' if conn.server.tls else 'http', 'path': path,
        'raw_path': raw_path, 'query_string': query,
        'headers': request.headers, 'client': conn.peer,
    }
    if conn.local is not None:
        scope['server'] = conn.local
    return scope


# The steps of a request in Connection.run, as plain functions (no frame
# held) or called with at most two arguments (see Connection.run).
def _app_request(scope, exchange):
    """The plugdot Request for the app served directly; the exchange is its
    ``receive``."""
    return AppRequest(exchange.conn.server.app, scope, exchange)


async def _send_response(request, response):
    """What a plugdot App's ASGI call does once it has the response (a frame
    only while the response is sent, not while the handler runs)."""
    send = request.receive.send  # request.receive is the exchange
    try:
        await response.send(send, request)
    except Exception as exc:
        await request.app.send_failed(request, response, send, exc)


def _asgi_call(scope, exchange):
    """Call any other ASGI app (the awaitable of its call)."""
    return exchange.conn.server.app(scope, exchange, exchange.send)


class Exchange:
    """One request and its response, as an ASGI ``http`` scope. It is the
    scope's ``receive`` callable itself (``__call__``): no bound method held
    per request."""

    # The state as class-level defaults: an instance stores only what
    # changed, heap held while the request is in flight.
    body_done = head_sent = chunked = complete = disconnected = False
    status = headers = error = None
    length = None  # the Content-Length the app declared
    finished = None  # an Event, made only if the app waits for disconnect
    reading = None  # the task whose receive() reads the socket after the body (see end)
    taken = False  # end() took the socket back from that read
    sent_bytes = 0
    keep_alive = True

    def __init__(self, conn, request):
        self.conn = conn
        self.request = request
        if not request.keep_alive:  # else the class's True: an attribute less in flight
            self.keep_alive = False

    async def end(self, scope):
        """After the app: answer its error or a missing response, log, skip
        what it did not read of the body; return True if the connection may
        serve another request. (The app runs in Connection.run.)"""
        conn = self.conn
        if self.error is not None and not self.head_sent:
            await conn._refuse(self.error)
            return False
        if not self.complete and not (self.head_sent or self.disconnected):
            await conn._refuse(ProtocolError(500, 'no response'))
            return False
        if conn.server.access_log:
            # Cut short: the response did not go out whole, because the
            # client left or the app failed after its head was sent.
            print('%s - "%s %s HTTP/%s" %s %d%s' % (conn.peer[0] if conn.peer else '-',
                  scope['method'], scope['path'], scope['http_version'],
                  self.status or '-', self.sent_bytes, '' if self.complete else
                  ' cut short (client left)' if self.disconnected else
                  ' cut short (app error)'))
        if not self.complete:
            return False
        if self.keep_alive and not self.body_done:
            # The next request starts where this body ends: skip what the app
            # did not read (within the body limits), or give up on keep-alive.
            # (Here, not in Connection.run: its frame is held while the app runs.)
            try:
                while True:
                    event = conn.next_event()
                    if event is END:
                        self.body_done = True
                        break
                    if event is NEED_DATA:
                        conn.feed(await conn._read(conn.limits.body_timeout))
            except (ProtocolError, OSError):  # OSError: the client left (see Connection._io)
                self.keep_alive = False
        if self.reading is not None:
            # The app's receive() still reads the socket after the response (a
            # disconnect watcher left waiting or being cancelled): a second read
            # beside it would fail (CPython's streams refuse two readers) or miss
            # bytes. A watcher the app cancelled leaves by itself; any other is
            # woken, and its receive() answers http.disconnect (ASGI: the
            # response is sent). A cancelled read loses no bytes. (Here, not in
            # a method of its own: a function less on a board.)
            await asyncio.sleep(0)
            task = self.reading
            if task is not None:
                self.taken = True
                task.cancel()
                for _ in range(20):  # a turn or two; past that, close rather than read beside it
                    if self.reading is None:
                        break
                    await asyncio.sleep(0)
                else:
                    return False
            if self.disconnected:
                return False
        return self.keep_alive and self.body_done

    async def receive(self):
        """ASGI receive: the body in pieces, then ``http.disconnect``."""
        conn = self.conn
        if self.body_done or self.disconnected:
            # The body is read: an app still waiting here streams a response
            # (the core watches for http.disconnect while it does). Read the
            # socket so that a client closing is seen at once, not at the next
            # failed write -- an idle event stream may write nothing for many
            # seconds. Bytes of a pipelined next request are kept for it, up
            # to a head's worth.
            while not (self.disconnected or self.complete or
                       len(conn.buffer) > conn.limits.max_header_size):
                self.reading = asyncio.current_task()
                try:
                    data = await conn.reader.read(conn.limits.read_size)
                    conn.feed(data)
                except (OSError, MemoryError):  # a connection that cannot be read is dropped
                    data = b''
                except asyncio.CancelledError:
                    if not self.taken:  # not end(): the app's own cancellation
                        raise
                    uncancel = getattr(self.reading, 'uncancel', None)
                    if uncancel is not None:  # CPython 3.11+: handled here
                        uncancel()
                    return {'type': 'http.disconnect'}
                finally:
                    self.reading = None
                if not data:
                    self.disconnected = True
                    return {'type': 'http.disconnect'}
            if self.complete:  # the response is sent: the exchange is over (ASGI)
                return {'type': 'http.disconnect'}
            if self.finished is None:
                self.finished = asyncio.Event()
            await self.finished.wait()
            return {'type': 'http.disconnect'}
        if self.request.expect_continue and not self.head_sent:
            self.request.expect_continue = False  # answered once
            await conn._write(b'HTTP/1.1 100 Continue\r\n\r\n')
        while True:
            try:
                event = conn.next_event()
            except ProtocolError as exc:
                self.error = exc
                self.disconnected = True
                return {'type': 'http.disconnect'}
            if event is END:
                self.body_done = True
                return {'type': 'http.request', 'body': b'', 'more_body': False}
            if event is not NEED_DATA:
                return {'type': 'http.request', 'body': event, 'more_body': True}
            try:
                conn.feed(await conn._read(conn.limits.body_timeout))
            except OSError as exc:  # the client left: the server answers, the app gets a disconnect
                self.error = (ProtocolError(408, 'request body too slow')
                              if exc.args[1] == 'timed out' else
                              ProtocolError(400, 'request body incomplete'))
                self.disconnected = True
                return {'type': 'http.disconnect'}

    __call__ = receive  # the scope's receive: the exchange itself

    async def send(self, message):
        """ASGI send: write the response head and body."""
        kind = message['type']
        if kind == 'http.response.start':
            if self.status is not None:
                raise RuntimeError('http.response.start sent twice')
            self.status = message['status']
            self.headers = list(message.get('headers', ()))
            return
        if kind != 'http.response.body' or self.status is None or self.complete:
            raise RuntimeError('unexpected ASGI message %r' % kind)
        if self.disconnected:
            if self.error is None:
                raise OSError(32, 'connection closed')
            if not self.head_sent:
                # The body was malformed or too large: the server answers with
                # that status and reason (413, 400...), not the app's reply to
                # the disconnect it was given.
                return
        body = message.get('body', b'')
        more = message.get('more_body', False)
        # What goes out, as one bytes (not a list joined: an object less
        # while a response is written, the peak of a request's heap)
        out = b''
        # On a board the head goes into the server's one buffer (_Stream.buf)
        # and the body after it when it fits: a response then needs no block
        # as long as its head, which a full, fragmented heap may not have.
        # (No await between filling the buffer and the socket's write: a
        # write copies what the socket does not take at once.)
        at = 0  # bytes of the buffer filled
        if not self.head_sent:
            headers = self.headers
            for name, value in headers:
                if name.lower() == b'content-length':
                    self.length = int(value) if value.isdigit() else -1
                    if self.length < 0:
                        raise ValueError('invalid Content-Length from the app: %r' % value)
            head = self.request.method == 'HEAD'
            if self.length is None and self.status not in (204, 304):
                if not more and (body or not head):
                    headers.append((b'content-length', b'%d' % len(body)))
                elif head:
                    pass  # a streamed (or empty) answer to HEAD: its length is not known
                elif self.request.version == '1.1':
                    self.chunked = True
                else:
                    # HTTP/1.0: the end of the body is the end of the connection
                    self.keep_alive = False
            if self.error is not None:
                self.keep_alive = False
            http10 = self.request.version == '1.0'
            if MICROPYTHON:
                at = response_head(self.status, headers, self.keep_alive, self.chunked, http10,
                                   _Stream.buf) or 0
            if not at:  # (it does not fit)
                out = response_head(self.status, headers, self.keep_alive, self.chunked, http10)
            self.head_sent = True
        bodyless = self.request.method == 'HEAD' or self.status in (204, 304)
        count = 0  # body bytes counted once written: the log shows what went out
        if body and not bodyless:
            length = self.length
            if length is not None and self.sent_bytes + len(body) > length:
                # More than the app declared: what is past it never goes out
                # (it would be read as the next response), and the connection closes.
                body = body[:length - self.sent_bytes]
                self.keep_alive = False
            # a chunk of a chunked body: its size in hex, the bytes, CRLF
            out += b'%x\r\n' % len(body) + body + b'\r\n' if self.chunked else body
            count = len(body)
        if not more:
            if self.chunked:
                out += b'0\r\n\r\n'  # the last chunk
            elif self.length is not None and self.sent_bytes + count < self.length and not bodyless:
                self.keep_alive = False  # fewer bytes than declared: only a close tells the client
            self.complete = True
        try:
            if at:
                buf = _Stream.buf
                if at + len(out) <= len(buf):  # the body too: one write
                    buf[at:at + len(out)] = out
                    at += len(out)
                    out = b''
                await self.conn._write(memoryview(buf)[:at])
            if out or not at:
                await self.conn._write(out)
        except OSError:  # the client left (see Connection._io)
            self.disconnected = True
            self.complete = False  # not whole: logged cut short, the connection closes
            raise
        self.sent_bytes += count


async def start(app, host='0.0.0.0', port=80, limits=None, ssl=None, access_log=False):
    """Start serving *app* and return the :class:`Server` (awaitable), so
    that other tasks (sensors, MQTT) run beside it."""
    server = Server(app, limits, access_log)
    await server.start(host, port, ssl)
    return server


def serve(app, host='0.0.0.0', port=80, limits=None, ssl=None, access_log=True):
    """Serve *app* until interrupted (Ctrl+C), then shut down gracefully."""
    async def main():
        server = await start(app, host, port, limits, ssl, access_log)
        print('plugdot-mpy-server: serving on http%s://%s:%d' % ('s' if ssl else '', host, port))
        if not MICROPYTHON:
            _stop_on_signals(server)
        try:
            await server.serve_forever()
        finally:
            await server.stop()
    try:
        if MICROPYTHON:
            _run_through_a_full_heap(asyncio.create_task(main()))
        else:
            asyncio.run(main())
    except KeyboardInterrupt:
        pass


def _run_through_a_full_heap(task):
    # MicroPython's scheduler itself may allocate while it polls (where
    # id() of a socket is no small int, as on a 32-bit unix port), and a
    # MemoryError there leaves its loop. Every task is still queued and poll
    # reports the events again, so the scheduler is simply resumed. (Unless
    # it is *task* that failed, before serving: the caller says so.)
    while True:
        try:
            return asyncio.run_until_complete(task)
        except MemoryError:
            if task.done():
                raise


def _stop_on_signals(server):
    # SIGINT/SIGTERM end serve_forever() and stop() runs, with every task
    # still alive: Python 3.10's asyncio.run would cancel them all at once on
    # Ctrl+C (no last event for open streams), and SIGTERM would kill at once.
    import signal

    def request_stop():
        server.closing = True
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, request_stop)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass
