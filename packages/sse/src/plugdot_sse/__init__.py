"""plugdot-sse: Server-Sent Events for plugdot apps.

Decorate a route with :func:`with_sse` (the handler gets ``(request, sse)``
and sends events), or return an :class:`EventStream` of events from any
handler. The stream is an ordinary streamed response, so routing,
``before_request`` (authentication) and error handlers apply, under any
ASGI server and the mpy-server (on a board too). Portable, no dependencies.
"""
from plugdot import Request
from plugdot._compat import MICROPYTHON

__version__ = '0.1.0'
__all__ = ['Event', 'EventStream', 'SSE', 'StreamClosed', 'open_streams', 'with_sse',
           '__version__']


def __getattr__(name):  # the stream code loads on first use
    if name in ('EventStream', 'SSE', 'StreamClosed', 'open_streams'):
        from .stream import SSE, EventStream, StreamClosed, open_streams
        return {'EventStream': EventStream, 'SSE': SSE, 'StreamClosed': StreamClosed,
                'open_streams': open_streams}[name]
    if name == 'Event':
        from .framing import Event
        return Event
    raise AttributeError(name)


def plugdot_settings():
    """The SSE settings (see docs/sse.md)."""
    return {
        'sse_ping_interval': (15.0, 'Seconds without an event before a keep-alive comment '
                                    'is sent (0: never).'),
        'sse_send_timeout': (10.0, 'Seconds send() waits for a client that stopped reading '
                                   'before the stream is evicted.'),
        'sse_queue_size': (32, 'Events queued per stream before send() waits for the client.'),
        'sse_max_streams': (4 if MICROPYTHON else 0, 'Open streams per app; past it a new '
                            'stream gets a 503 with Retry-After (0: unlimited).'),
        'sse_retry_after': (5, 'Retry-After seconds of the 503 past sse_max_streams.'),
        'sse_shutdown_event': ('shutdown', 'Event type sent to every open stream when the app '
                                           'shuts down (empty: none).'),
    }


async def plugdot_stopping(app):
    """The server is stopping: send open streams their last event and end
    them, so that the server need not wait for them."""
    from .stream import _OPEN, shutdown_streams
    if _OPEN.get(app):
        await shutdown_streams(app, app.config.get('sse_shutdown_event', ''))


async def plugdot_shutdown(app):
    """The same at lifespan shutdown (a server that never called
    ``plugdot_stopping``, the TestClient)."""
    await plugdot_stopping(app)


def with_sse(handler):
    """Make a route an event stream. Decorator style: the handler is called
    as ``handler(request, sse, **path_args)``; class style (a method of an
    ``App`` subclass): as ``method(self, sse, *path_segments)``, with
    ``self.request`` as usual. Put it below the route decorator. The stream
    ends when the handler returns or calls ``await sse.close()``; when the
    client leaves, the handler is cancelled."""
    if not MICROPYTHON:  # (MicroPython cannot tell an async def from a def)
        from plugdot._compat import handler_kind
        if handler_kind(handler) != 'async':
            raise TypeError('@with_sse: %s must be an "async def" taking (request, sse)'
                            % getattr(handler, '__name__', handler))

    async def endpoint(*args, **kwargs):
        from .stream import EventStream
        head = args[0]
        request = head if isinstance(head, Request) else head.request
        if request is head:
            async def produce(sse):
                await handler(head, sse, *args[1:], **kwargs)
        else:  # class style: self.request must work in the handler's own task
            from plugdot._class_routes import current_request as _current_request

            async def produce(sse):
                token = _current_request.set(request)
                try:
                    await handler(head, sse, *args[1:], **kwargs)
                finally:
                    _current_request.reset(token)
        return EventStream(produce, app=request.mounted_app or request.app)
    try:
        endpoint.__name__ = handler.__name__  # for `plugdot routes`; MicroPython cannot
    except AttributeError:
        pass
    return endpoint


def plugdot_bundle_modules():
    """The portable modules of this plugin."""
    return ['plugdot_sse', 'plugdot_sse.framing', 'plugdot_sse.stream']
