"""The :class:`Broadcast`: channels, local fan-out, subscriptions, resume.

Portable. A backend moves messages between processes (or not, for
``memory://``); this module delivers each one to the local subscribers of
its channel. Every subscriber has its own bounded backlog: a slow one
loses its oldest messages (counted in ``dropped``), never slows the others
or grows without bound.
"""
import asyncio

from plugdot import HTTPError


class BroadcastUnavailable(HTTPError):
    """The broker could not be reached for ``broadcast_publish_timeout``
    seconds. Unhandled in a request handler it is a 503 with Retry-After,
    not a 500."""

    def __init__(self, message='The message broker is unavailable'):
        HTTPError.__init__(self, 503, message, {'Retry-After': '5'})


class Message:
    """A message received on a channel: ``channel``, ``data`` (what was
    published: a JSON value or bytes), ``id`` (a string, increasing within
    the channel; ``None`` where the backend has none) and ``resync`` (True
    for the marker that says messages were missed and cannot be replayed:
    reload the state instead)."""

    def __init__(self, channel, data, id=None, resync=False):
        self.channel = channel
        self.data = data
        self.id = id
        self.resync = resync

    def __repr__(self):
        if self.resync:
            return '<Message %s resync>' % self.channel
        return '<Message %s id=%s>' % (self.channel, self.id)


def parse_id(text):
    """A message id (``'<ms>-<seq>'``, the Redis Streams form) as a tuple
    for comparisons, or None if *text* is not one."""
    if not isinstance(text, str):
        return None
    ms, dash, seq = text.partition('-')
    if not ms.isdigit() or (dash and not seq.isdigit()):
        return None
    return (int(ms), int(seq or 0))


class Subscription:
    """Messages of some channels, as an async iterator.

    Use ``async with broadcast.subscribe('a', 'b') as messages:`` and
    ``async for message in messages:``; leaving the block unsubscribes. A
    plain ``async for`` over ``broadcast.subscribe(...)`` works too: the
    subscription ends when the loop ends with an exception (a cancelled
    handler) or, on CPython, when the object is released after a ``break``.
    ``dropped`` counts the messages this subscriber lost to a full backlog.
    """

    def __init__(self, broadcast, channels, last_id, backlog):
        if not channels:
            raise ValueError('subscribe() needs at least one channel')
        self.broadcast = broadcast
        self.channels = channels
        self.last_id = last_id
        self.backlog = max(1, backlog)
        self.dropped = 0
        self.active = False
        self._items = []
        self._wake = asyncio.Event()
        self._after = {}  # channel -> id replayed up to (skip those when live)

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc_info):
        self.close()

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            if not self.active:
                await self.start()
            while not self._items:
                self._wake.clear()
                await self._wake.wait()
            return self._items.pop(0)
        except BaseException:
            self.close()
            raise

    async def start(self):
        """Register with the broadcast (and replay from ``last_id``)."""
        if not self.active:
            self.active = True
            await self.broadcast._add(self)

    def close(self):
        """Stop receiving (idempotent)."""
        if self.active:
            self.active = False
            self.broadcast._remove(self)

    async def aclose(self):
        """Stop receiving."""
        self.close()

    def __del__(self):
        self.close()

    def put(self, message):
        """Queue *message* (dropping the oldest past the backlog)."""
        after = self._after.get(message.channel)
        if after is not None and message.id is not None:
            ident = parse_id(message.id)
            if ident is not None and ident <= after:
                return  # already replayed
        if len(self._items) >= self.backlog:
            self._items.pop(0)
            self.dropped += 1
        self._items.append(message)
        self._wake.set()


class Broadcast:
    """Publish/subscribe over one backend.

    ``Broadcast('memory://')`` (this process only, portable),
    ``Broadcast('redis://host:6379/0')`` (Redis pub/sub: every process and
    host, no history) or ``Broadcast('redis-stream://host:6379/0')`` (Redis
    Streams: every process and host, with *history* messages kept per
    channel for resume). With *app* (what the plugin gives as
    ``app.broadcast``) the ``broadcast_*`` settings of that app apply.
    Nothing connects until the first publish or subscribe.
    """

    def __init__(self, url=None, history=None, backlog=None, publish_timeout=None, app=None):
        self.app = app
        self._url = url
        self._history = history
        self._backlog = backlog
        self._publish_timeout = publish_timeout
        self._backend = None
        self._subscribers = {}  # channel -> list of Subscription

    def _setting(self, value, name, default):
        if value is not None:
            return value
        if self.app is not None:
            return self.app.config.get(name, default)
        return default

    @property
    def url(self):
        """The backend URL in use."""
        return self._setting(self._url, 'broadcast_url', 'memory://')

    @property
    def backend(self):
        """The backend (made on first use)."""
        if self._backend is None:
            self._backend = make_backend(self.url, self._setting(self._history, 'broadcast_history',
                                                                 100), self._deliver)
        return self._backend

    async def publish(self, channel, data):
        """Send *data* (a JSON value, or bytes) to every subscriber of
        *channel* in every process; return its id (``None`` for Redis
        pub/sub). A broker that is away is retried for
        ``broadcast_publish_timeout`` seconds, then
        :class:`BroadcastUnavailable` (a 503) is raised."""
        if not isinstance(channel, str) or not channel:
            raise ValueError('a channel is a non-empty str')
        if isinstance(data, bytearray):
            data = bytes(data)
        return await self.backend.publish(
            channel, data, self._setting(self._publish_timeout, 'broadcast_publish_timeout', 5.0))

    def subscribe(self, *channels, last_id=None):
        """A :class:`Subscription` to *channels*. With *last_id* (the
        ``Last-Event-ID`` of a reconnecting client) the messages published
        after it are replayed first, from the channel's history; when they
        cannot all be (older than the history, a backend without history,
        an unknown id), one ``resync`` message comes instead."""
        return Subscription(self, channels, last_id,
                            self._setting(self._backlog, 'broadcast_backlog', 100))

    def subscribers(self, channel):
        """How many local subscribers *channel* has."""
        return len(self._subscribers.get(channel, ()))

    async def close(self):
        """Disconnect from the broker; subscriptions stop receiving."""
        if self._backend is not None:
            backend, self._backend = self._backend, None
            await backend.close()

    # -- internal ------------------------------------------------------------
    async def _add(self, sub):
        backend = self.backend
        for channel in sub.channels:
            if sub.last_id is not None:
                entries, complete = await backend.replay(channel, sub.last_id)
                if not complete:
                    sub.put(Message(channel, None, resync=True))
                for ident, data in entries:
                    sub.put(Message(channel, data, ident))
                if entries:
                    sub._after[channel] = parse_id(entries[-1][0])
                elif complete:
                    sub._after[channel] = parse_id(sub.last_id)
            subs = self._subscribers.get(channel)
            if subs is None:
                subs = self._subscribers[channel] = []
            subs.append(sub)
            if len(subs) == 1:
                await backend.listen(channel)

    def _remove(self, sub):
        for channel in sub.channels:
            subs = self._subscribers.get(channel)
            if subs and sub in subs:
                subs.remove(sub)
                if not subs:
                    del self._subscribers[channel]
                    backend = self._backend
                    if backend is not None:
                        backend.unlisten(channel)

    def _deliver(self, channel, ident, data):
        subs = self._subscribers.get(channel)
        if subs:
            for sub in subs:
                sub.put(Message(channel, data, ident))


def make_backend(url, history, deliver):
    """The backend for *url*: ``memory://``, ``redis://``, ``rediss://``,
    ``redis-stream://`` or ``rediss-stream://``."""
    scheme = url.partition('://')[0]
    if scheme == 'memory':
        from .memory import MemoryBackend
        return MemoryBackend(history, deliver)
    if scheme in ('redis', 'rediss'):
        from .redis import RedisPubSubBackend
        return RedisPubSubBackend(url, deliver)
    if scheme in ('redis-stream', 'rediss-stream'):
        from .redis import RedisStreamBackend
        return RedisStreamBackend(url.replace('-stream://', '://', 1), history, deliver)
    raise ValueError('unknown broadcast URL %r: use memory://, redis://host:port/db or '
                     'redis-stream://host:port/db' % url)
