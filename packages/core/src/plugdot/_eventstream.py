"""Reading ``text/event-stream`` (Server-Sent Events): the client side, used by
:class:`plugdot.testing.TestResponse` (``response.events``).

Portable. Follows the WHATWG parsing rules: lines end with CRLF, LF or CR;
one leading space after the colon is dropped; ``data`` lines are joined
with LF; a blank line dispatches; comments and unknown fields are ignored;
an ``id`` containing NUL is ignored.
"""


class ParsedEvent:
    """One received event: ``event`` (``'message'`` by default), ``data``
    (text), ``id`` (the last event id in force, or ``None``), ``retry``
    (ms, or ``None``). ``json()`` parses ``data``."""

    def __init__(self, event, data, id, retry):
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def json(self):
        """``data`` parsed as JSON."""
        import json
        return json.loads(self.data)

    def __eq__(self, other):
        return isinstance(other, ParsedEvent) and (self.event, self.data, self.id, self.retry) \
            == (other.event, other.data, other.id, other.retry)

    def __repr__(self):
        return 'ParsedEvent(event=%r, data=%r, id=%r, retry=%r)' % (
            self.event, self.data, self.id, self.retry)


class EventParser:
    """Feed text in any pieces with ``feed(text)``; it returns the events
    completed so far. ``comments`` counts comment lines (keep-alives)."""

    def __init__(self):
        self.buffer = ''
        self.data = []
        self.event = ''
        self.last_id = None
        self.retry = None
        self.comments = 0
        self._pending_cr = False

    def feed(self, text):
        """Parse more text; return the list of events it completed."""
        if self._pending_cr and text.startswith('\n'):
            text = text[1:]  # the LF of a CRLF split across two pieces
        self._pending_cr = text.endswith('\r')
        self.buffer += text
        events = []
        while True:
            lf, cr = self.buffer.find('\n'), self.buffer.find('\r')
            cut = lf if cr < 0 or 0 <= lf < cr else cr
            if cut < 0:
                return events
            line = self.buffer[:cut]
            end = cut + 1
            if self.buffer[cut] == '\r' and self.buffer[end:end + 1] == '\n':
                end += 1
            self.buffer = self.buffer[end:]
            event = self._line(line)
            if event is not None:
                events.append(event)

    def _line(self, line):
        if not line:
            return self._dispatch()
        if line[0] == ':':
            self.comments += 1
            return None
        name, colon, value = line.partition(':')
        if colon and value[:1] == ' ':
            value = value[1:]
        if name == 'data':
            self.data.append(value)
        elif name == 'event':
            self.event = value
        elif name == 'id':
            if '\x00' not in value:
                self.last_id = value
        elif name == 'retry':
            if value.isdigit():
                self.retry = int(value)
        return None

    def _dispatch(self):
        data, event = self.data, self.event
        self.data, self.event = [], ''
        if not data:
            return None
        return ParsedEvent(event or 'message', '\n'.join(data), self.last_id, self.retry)


def parse_events(text):
    """Every complete event in *text* (a whole ``text/event-stream`` body)."""
    return EventParser().feed(text)
