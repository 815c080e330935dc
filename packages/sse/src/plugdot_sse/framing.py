"""Server-Sent Events on the wire: one event to bytes, safely.

Pure functions, no I/O (portable). The rules, from the WHATWG HTML
standard's ``text/event-stream`` section:

* a field is ``name: value`` ending in LF; a blank line ends the event;
* CR, LF and CRLF all end a line, so a line break inside ``event``, ``id``
  or a comment would start a new field: an injection. Those raise
  ValueError here instead. NUL in ``id`` makes browsers ignore the id, so
  it is refused too;
* data with line breaks becomes one ``data:`` line per line, which the
  client joins back with LF.
"""
from plugdot._compat import json_dumps

_FIELD_BREAKS = ('\r', '\n', '\x00')
_EVENT_KEYS = ('data', 'event', 'id', 'retry', 'comment')


def _check_field(what, value):
    if not isinstance(value, str):
        value = str(value)
    for ch in _FIELD_BREAKS:
        if ch in value:
            raise ValueError('%r in the SSE %s would break the event stream' % (ch, what))
    return value


def data_text(data):
    """*data* as text: ``str`` as is, ``bytes`` decoded as UTF-8 (ValueError
    if invalid), ``None`` as an empty string, anything else as compact JSON."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode('utf-8')
        except UnicodeError:
            raise ValueError('SSE data bytes must be UTF-8')
    if data is None:
        return ''
    return json_dumps(data)


def split_lines(text):
    """Split *text* on CRLF, LF and CR (the three line ends of
    ``text/event-stream``); ``''`` gives ``['']``."""
    if '\r' in text:
        text = text.replace('\r\n', '\n').replace('\r', '\n')
    return text.split('\n')


def encode(data=None, event=None, id=None, retry=None):
    """One event as bytes, ending with the blank line that dispatches it.

    ValueError when ``event`` or ``id`` contains CR, LF or NUL, or
    ``retry`` is not a non-negative int (milliseconds). With ``data=None``
    and only ``retry`` and/or ``id``, no data line is written: the client
    takes the fields without receiving an event."""
    parts = []
    if event is not None:
        event = _check_field('event', event)
        if event:
            parts.append('event: ' + event + '\n')
    if id is not None:
        parts.append('id: ' + _check_field('id', id) + '\n')
    if retry is not None:
        if not isinstance(retry, int) or isinstance(retry, bool) or retry < 0:
            raise ValueError('SSE retry must be a non-negative int of milliseconds')
        parts.append('retry: %d\n' % retry)
    if data is not None or event or not parts:
        for line in split_lines(data_text(data)):
            parts.append('data: ' + line + '\n' if line else 'data:\n')
    parts.append('\n')
    return ''.join(parts).encode()


def encode_comment(text=''):
    """A comment line (ignored by clients; keeps proxies from timing out).
    ValueError on CR, LF or NUL in *text*."""
    text = _check_field('comment', text)
    return (': ' + text + '\n\n').encode() if text else b':\n\n'


class Event:
    """One event to send: ``Event(data, event=None, id=None, retry=None)``.

    Handlers that return an iterator yield these (or dicts with the same
    keys, or plain ``str`` data). The fields are checked when the event is
    created: ValueError on an injection attempt."""

    def __init__(self, data=None, event=None, id=None, retry=None):
        self.frame = encode(data, event, id, retry)
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def __repr__(self):
        return '<Event %r id=%r>' % (self.event or 'message', self.id)


def to_frame(item):
    """Bytes for one item an event iterator yielded: an :class:`Event`, a
    dict with keys among ``data``, ``event``, ``id``, ``retry``, ``comment``,
    or data (``str``, ``bytes``). TypeError/ValueError otherwise."""
    if isinstance(item, Event):
        return item.frame
    if isinstance(item, dict):
        for key in item:
            if key not in _EVENT_KEYS:
                raise ValueError('an SSE event dict has no key %r (use %s)'
                                 % (key, ', '.join(_EVENT_KEYS)))
        if 'comment' in item:
            if len(item) > 1:
                raise ValueError('an SSE comment dict has only the "comment" key')
            return encode_comment(item['comment'])
        return encode(item.get('data'), item.get('event'), item.get('id'), item.get('retry'))
    if isinstance(item, (str, bytes, bytearray)):
        return encode(item)
    raise TypeError('an SSE event iterator yielded %s; yield Event(...), a dict or str'
                    % type(item).__name__)
