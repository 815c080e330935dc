"""The server's limits, named and documented in one place.

Defaults are sized for a small board (tens of KB of heap); pass a
``Limits(...)`` with other values per server. Nothing here is global state.
"""


class Limits:
    """Hard limits of one server; every field has a default and a keyword
    (``Limits(max_connections=4)``; an unknown one is a TypeError).

    * ``max_request_line`` — bytes in the request line (414 past it)
    * ``max_header_line`` — bytes in one header line (431)
    * ``max_headers`` — number of header fields (431)
    * ``max_header_size`` — bytes of the whole head (431)
    * ``max_body_size`` — bytes of a request body (413)
    * ``max_chunk_line`` — bytes of a chunk-size line (400)
    * ``header_timeout`` — seconds to receive a complete head (408, then close)
    * ``body_timeout`` — seconds between body reads, or for a response write
      the client does not take (connection closed)
    * ``keepalive_timeout`` — seconds an idle keep-alive connection is kept
    * ``max_connections`` — connections served at once; more get a quick 503
    * ``backlog`` — listen backlog for connections not yet accepted
    * ``read_size`` — bytes asked of the socket per read
    * ``shutdown_timeout`` — seconds in-flight requests get on shutdown
    * ``max_ws_message`` — bytes of one WebSocket message (close 1009)
    * ``ws_close_timeout`` — seconds to wait for the client's close frame
    * ``max_websockets`` — WebSockets open at once, fewer than
      ``max_connections`` so that plain HTTP always has room (default: half
      of them); more upgrades get a 503
    * ``ws_ping_interval`` — seconds of silence from a WebSocket client
      before the server pings it
    * ``ws_ping_timeout`` — seconds a pinged client has to send anything
      (else close 1011)
    * ``ws_idle_timeout`` — seconds without a message either way before a
      WebSocket is closed (1001)
    """

    # The defaults live on the class: a server with them holds no copy, and
    # an instance stores only what was given.
    max_request_line = 1024
    max_header_line = 1024
    max_headers = 32
    max_header_size = 4096
    max_body_size = 16 * 1024
    max_chunk_line = 64
    header_timeout = 10.0
    body_timeout = 10.0
    keepalive_timeout = 5.0
    max_connections = 8
    backlog = 16
    read_size = 512
    shutdown_timeout = 5.0
    max_ws_message = 16 * 1024
    ws_close_timeout = 2.0
    max_websockets = 4  # max_connections // 2 unless given
    ws_ping_interval = 20.0
    ws_ping_timeout = 20.0
    ws_idle_timeout = 300.0

    def __init__(self, **limits):
        for name, value in limits.items():
            if type(getattr(Limits, name, None)) not in (int, float):  # not a limit
                raise TypeError('Limits: unknown limit %r' % name)
            setattr(self, name, value)
        if 'max_websockets' not in limits:
            if 'max_connections' in limits:
                self.max_websockets = self.max_connections // 2
        elif self.max_websockets >= self.max_connections:
            raise ValueError('Limits: max_websockets (%d) must be below max_connections (%d), '
                             'or WebSockets can lock plain HTTP out'
                             % (self.max_websockets, self.max_connections))

    @classmethod
    def for_cpython(cls, **overrides):
        """Roomier defaults for the development server on CPython."""
        values = dict(max_request_line=8192, max_header_line=8192, max_headers=100,
                      max_header_size=16 * 1024, max_body_size=1024 * 1024,
                      max_connections=256, backlog=128, read_size=16 * 1024,
                      max_ws_message=1024 * 1024)
        values.update(overrides)
        return cls(**values)
