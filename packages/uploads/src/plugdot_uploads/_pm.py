"""python-multipart behind the interface of :class:`plugdot_uploads.parser.Parser`
(CPython only): the same events, the same errors, for one shared test corpus.

python-multipart is laxer than the portable parser in three places,
tightened here: it skips one byte of any kind after a leading CR (only line
breaks may come before the first boundary), ignores anything after the
closing delimiter (refused: only line breaks may follow) and does not check
that the body was complete on ``finalize`` (a truncated body is refused).
"""
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser

from .parser import DATA, END, PART, MultipartError, parse_header_block


class PMParser:
    """A streaming parser for one body, built on python-multipart."""

    def __init__(self, boundary, max_header_size=4096, max_header_count=8):
        self.close_delimiter = b'\r\n--' + boundary.encode('latin-1') + b'--'
        self.max_header_size = max_header_size
        self.max_header_count = max_header_count
        self.events = []
        self.header_lines = []
        self.header_size = 0
        self.field = self.value = b''
        self.ended = False
        self.tail = b'\r\n'  # a body may start with its closing delimiter
        self.started = False
        events = self.events
        self.parser = MultipartParser(boundary.encode('latin-1'), {
            'on_part_begin': self._part_begin,
            'on_header_field': self._header_field,
            'on_header_value': self._header_value,
            'on_header_end': self._header_end,
            'on_headers_finished': self._headers_finished,
            'on_part_data': lambda data, start, end: events.append((DATA, data[start:end])),
            'on_part_end': lambda: events.append((END, None)),
            'on_end': self._end,
        }, max_header_count=max_header_count + 1, max_header_size=max_header_size)

    def _part_begin(self):
        self.header_lines = []
        self.header_size = 0

    def _grow(self, size):
        self.header_size += size
        if self.header_size > self.max_header_size:
            raise MultipartError('part headers larger than %d bytes' % self.max_header_size)

    def _header_field(self, data, start, end):
        self._grow(end - start)
        self.field += data[start:end]

    def _header_value(self, data, start, end):
        self._grow(end - start)
        self.value += data[start:end]

    def _header_end(self):
        self.header_lines.append(self.field + b':' + self.value)
        self.field = self.value = b''

    def _headers_finished(self):
        self.events.append((PART, parse_header_block(b'\r\n'.join(self.header_lines),
                                                     self.max_header_count)))

    def _end(self):
        self.ended = True

    def feed(self, data):
        """Parse *data*; return the list of events it completed."""
        if self.ended:
            _only_line_breaks(data)
            return []
        if not self.started:
            lead = data.lstrip(b'\r\n')
            if lead:
                self.started = True
                if lead[:1] != b'-':
                    raise MultipartError('multipart body does not start with its boundary')
        window = self.tail + data
        try:
            self.parser.write(data)
        except MultipartError:
            raise
        except FormParserError as exc:
            raise MultipartError(str(exc))
        if self.ended:
            # Where the closing delimiter ends in this piece: the first one in
            # the stream is the real one (a delimiter never occurs in content).
            i = window.find(self.close_delimiter)
            if i >= 0:
                _only_line_breaks(window[i + len(self.close_delimiter):])
        self.tail = window[-(len(self.close_delimiter) - 1):]
        events, self.events[:] = list(self.events), []
        return events

    def close(self):
        """The body ended: raise :class:`MultipartError` if it was cut short."""
        if not self.ended:
            raise MultipartError('truncated multipart body')


def _only_line_breaks(data):
    if data.strip(b'\r\n'):
        raise MultipartError('data after the closing multipart boundary')
