"""plugdot-broadcast: publish/subscribe for plugdot apps, shared by SSE and
WebSocket handlers, across workers and hosts.

Every app gets ``app.broadcast`` (a :class:`Broadcast` on the
``broadcast_url`` setting: ``memory://`` by default, ``redis://...`` or
``redis-stream://...``), closed when the app shuts down. The memory backend
is portable (MicroPython too); the Redis backends need
``pip install 'plugdot-broadcast[redis]'``.
"""
__version__ = '0.1.0'
__all__ = ['Broadcast', 'BroadcastUnavailable', 'Message', 'Subscription', 'publish',
           '__version__']


def __getattr__(name):  # the broadcast code loads on first use
    if name in ('Broadcast', 'BroadcastUnavailable', 'Message', 'Subscription'):
        from .broadcast import Broadcast, BroadcastUnavailable, Message, Subscription
        return {'Broadcast': Broadcast, 'BroadcastUnavailable': BroadcastUnavailable,
                'Message': Message, 'Subscription': Subscription}[name]
    raise AttributeError(name)


def plugdot_settings():
    """The broadcast settings (see docs/broadcast.md)."""
    return {
        'broadcast_url': ('memory://', 'Where messages go: memory:// (this process), '
                                       'redis://host:port/db (pub/sub) or '
                                       'redis-stream://host:port/db (streams, with history).'),
        'broadcast_history': (100, 'Messages kept per channel for resume (memory:// and '
                                   'redis-stream://).'),
        'broadcast_backlog': (100, 'Messages queued per subscriber; past it the oldest '
                                   'are dropped (and counted).'),
        'broadcast_publish_timeout': (5.0, 'Seconds publish() retries an unreachable broker '
                                           'before raising BroadcastUnavailable (503).'),
    }


class _Lazy:
    """``app.broadcast``: the Broadcast is made on first use, so an app
    that never publishes loads nothing."""

    def __init__(self, app):
        self._app = app
        self._broadcast = None

    def _get(self):
        if self._broadcast is None:
            from .broadcast import Broadcast
            self._broadcast = Broadcast(app=self._app)
        return self._broadcast

    def __getattr__(self, name):
        if name[:1] == '_':
            raise AttributeError(name)
        return getattr(self._get(), name)


def plugdot_app_created(app):
    """Give the app its ``app.broadcast``."""
    app.broadcast = _Lazy(app)


async def plugdot_shutdown(app):
    """Disconnect the app's broadcast from its broker."""
    lazy = getattr(app, 'broadcast', None)
    if isinstance(lazy, _Lazy) and lazy._broadcast is not None:
        await lazy._broadcast.close()


def publish(url, channel, data):
    """Publish one message from a script or another process (CPython):
    ``publish('redis-stream://127.0.0.1:6379/0', 'news', {'title': 'hi'})``.
    Returns the message id."""
    import asyncio
    from .broadcast import Broadcast

    async def once():
        broadcast = Broadcast(url)
        try:
            return await broadcast.publish(channel, data)
        finally:
            await broadcast.close()
    return asyncio.run(once())


def plugdot_bundle_modules():
    """The portable modules (the memory backend)."""
    return ['plugdot_broadcast', 'plugdot_broadcast.broadcast', 'plugdot_broadcast.memory']
