"""The Redis backends (``pip install 'plugdot-broadcast[redis]'``), CPython.

``redis://``: Redis pub/sub, no history. ``redis-stream://``: one Redis
Stream per channel, trimmed to ``MAXLEN ~ history``, read with ``XREAD
BLOCK``; its ids are the message ids, so a client resumes from its
``Last-Event-ID``.

One connection listens for all the channels this process has subscribers
to. When Redis goes away the listener logs one warning, reconnects with
backoff (0.1 s doubling to 2 s) and carries on: pub/sub subscribers get the
messages published after the reconnection, stream subscribers every
message since the last one they got. Subscribers never see an exception
because of it; a publish retries for its timeout, then raises
:class:`~plugdot_broadcast.BroadcastUnavailable`.
"""
import asyncio
import json
import logging

try:
    from redis import asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # pragma: no cover - the message says what to install
    aioredis = None

from .broadcast import BroadcastUnavailable, parse_id

logger = logging.getLogger('plugdot.broadcast')
_GONE = (OSError, RedisConnectionError, RedisTimeoutError) if aioredis else (OSError,)
_PREFIX = 'plugdot:broadcast:'


def _client(url):
    if aioredis is None:
        raise RuntimeError("the Redis broadcast backends need the redis package: "
                           "pip install 'plugdot-broadcast[redis]'")
    return aioredis.from_url(url, socket_connect_timeout=2, health_check_interval=10)


def encode(data):
    """(kind, payload): bytes travel as they are, anything else as JSON."""
    if isinstance(data, bytes):
        return b'b', data
    return b'j', json.dumps(data, separators=(',', ':')).encode()


def decode(kind, payload):
    """The published value back from :func:`encode`."""
    if kind == b'b':
        return payload
    return json.loads(payload)


class _Backend:
    """What both Redis backends share: the command connection, the listener
    task and its reconnection, publishing with retries."""

    def __init__(self, url, deliver):
        self.url = url
        self.deliver = deliver
        self.client = _client(url)
        self.channels = set()
        self.changed = asyncio.Event()
        self.task = None
        self.connected = True
        self.reconnects = 0
        self.listening = set()  # the channels the listener has taken

    async def _retry(self, operation, timeout):
        delay, waited = 0.05, 0.0
        while True:
            try:
                return await operation()
            except _GONE as exc:
                if waited >= timeout:
                    raise BroadcastUnavailable('The message broker is unavailable (%s)' % exc)
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 0.5)

    async def listen(self, channel):
        """Start receiving *channel* (waits up to 2 s for the listener to
        take it, so that what is published next is not missed)."""
        self.channels.add(channel)
        self.changed.set()
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
        for _ in range(200):
            if channel in self.listening or not self.connected:
                return
            await asyncio.sleep(0.01)

    def unlisten(self, channel):
        """Stop receiving *channel*."""
        self.channels.discard(channel)
        self.changed.set()

    async def _run(self):
        delay = 0.1
        while True:
            try:
                await self._listen()
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except _GONE as exc:
                if self.connected:
                    logger.warning('broadcast: Redis at %s unreachable (%s); reconnecting',
                                   self.url, exc)
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            except Exception as exc:  # a bug must not end delivery for good
                logger.exception('broadcast: listener failed: %s', exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _up(self):
        if not self.connected:
            self.connected = True
            self.reconnects += 1
            logger.warning('broadcast: Redis at %s is back', self.url)

    async def close(self):
        """Stop the listener and close the connections."""
        task, self.task = self.task, None
        for _ in range(5):  # a cancellation can be lost inside a client's
            if task is None or task.done():  # timeouts before Python 3.12
                break
            task.cancel()
            await asyncio.wait([task], timeout=1)
        await self.client.aclose()


class RedisPubSubBackend(_Backend):
    """``redis://``: Redis PUBLISH/SUBSCRIBE. No history: a resume from a
    ``Last-Event-ID`` is always a ``resync``."""

    async def publish(self, channel, data, timeout):
        """PUBLISH the message; its id is None (pub/sub has none)."""
        kind, payload = encode(data)
        await self._retry(lambda: self.client.publish(_PREFIX + channel, kind + payload), timeout)
        return None

    async def replay(self, channel, last_id):
        """Nothing kept: incomplete."""
        return [], False

    async def _listen(self):
        pubsub = self.client.pubsub()
        subscribed = self.listening = set()
        try:
            while True:
                wanted = set(self.channels)
                if wanted - subscribed:
                    await pubsub.subscribe(*[_PREFIX + c for c in wanted - subscribed])
                if subscribed - wanted:
                    await pubsub.unsubscribe(*[_PREFIX + c for c in subscribed - wanted])
                subscribed = self.listening = wanted
                self.changed.clear()
                if not subscribed:
                    await self.changed.wait()
                    continue
                self._up()
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if message is not None and message['type'] == 'message':
                    raw = message['data']
                    channel = message['channel'].decode()[len(_PREFIX):]
                    self.deliver(channel, None, decode(raw[:1], raw[1:]))
        finally:
            try:
                await pubsub.aclose()
            except Exception:
                pass


class RedisStreamBackend(_Backend):
    """``redis-stream://``: a Redis Stream per channel (``XADD MAXLEN``)."""

    def __init__(self, url, history, deliver):
        _Backend.__init__(self, url, deliver)
        self.history = max(1, history)
        self.positions = {}  # channel -> last id delivered

    async def publish(self, channel, data, timeout):
        """XADD the message; return its stream id."""
        kind, payload = encode(data)
        ident = await self._retry(lambda: self.client.xadd(
            _PREFIX + channel, {'k': kind, 'd': payload}, maxlen=self.history,
            approximate=False), timeout)
        return ident.decode()

    async def replay(self, channel, last_id):
        """The entries after *last_id*, and whether none was trimmed away."""
        after = parse_id(last_id)
        if after is None:
            return [], False
        key = _PREFIX + channel
        try:
            info = await self.client.xinfo_stream(key)
        except _GONE:
            return [], False
        except Exception:  # no such stream yet: nothing was published
            return [], True
        if not _continuous(info, after):
            return [], False
        entries = await self.client.xrange(key, '(%d-%d' % after, '+')
        return [(_text(i), decode(f[b'k'], f[b'd'])) for i, f in entries], True

    async def listen(self, channel):
        """Start receiving *channel* from now on."""
        if channel not in self.positions:
            try:
                last = await self.client.xrevrange(_PREFIX + channel, '+', '-', count=1)
                self.positions[channel] = _text(last[0][0]) if last else '0-0'
            except _GONE:
                self.positions[channel] = '$'
        await _Backend.listen(self, channel)

    def unlisten(self, channel):
        """Stop receiving *channel*."""
        self.positions.pop(channel, None)
        _Backend.unlisten(self, channel)

    async def _listen(self):
        while True:
            if not self.channels:
                self.changed.clear()
                await self.changed.wait()
                continue
            self.listening = set(self.channels)
            streams = dict((_PREFIX + c, self.positions.get(c, '$')) for c in self.channels)
            reply = await self.client.xread(streams, block=250)
            self._up()
            for key, entries in reply or ():
                channel = _text(key)[len(_PREFIX):]
                if channel not in self.channels:
                    continue
                for ident, fields in entries:
                    ident = _text(ident)
                    self.positions[channel] = ident
                    self.deliver(channel, ident, decode(fields[b'k'], fields[b'd']))


def _continuous(info, after):
    """Whether the stream (its XINFO STREAM *info*) still holds every entry
    after the id *after*. Trimmed entries are older than the first one
    kept; if any was trimmed and *after* is older than that first entry,
    one of them may be newer than *after*: not continuous (a client exactly
    at the last trimmed entry gets a resync it could have done without)."""
    last = parse_id(_text(info.get('last-generated-id', b'0-0')))
    if last is not None and after > last:
        return False  # an id this stream never gave: it was reset
    deleted = parse_id(_text(info.get('max-deleted-entry-id', b'0-0')))
    if deleted is not None and after < deleted:
        return False
    trimmed = info.get('entries-added', 0) > info.get('length', 0)
    first = info.get('first-entry')
    first = parse_id(_text(first[0])) if first else last
    return not (trimmed and first is not None and after < first)


def _text(value):
    return value.decode() if isinstance(value, bytes) else value
