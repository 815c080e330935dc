"""Decoding of chunked request bodies, for :class:`~plugdot_mpy_server.protocol.RequestParser`.

Kept apart from the parser because few requests to a board have a chunked
body: this code costs heap only once a client sends one (the parser
imports it then). Sub-states of a chunked body::

    size --(n > 0)--> data --(n bytes)--> crlf --> size ...
    size --(0)--> trailers --(empty line)--> 'done' (the parser's state)
"""
from .protocol import END, NEED_DATA, ProtocolError, _check_value, _is_token

_HEX = b'0123456789abcdefABCDEF'


def read_chunked(parser):
    """The next event of a chunked body: a piece (bytes), END or NEED_DATA; raise
    ProtocolError on a malformed or over-limit body. As strict as h11: a
    chunk line is ``SIZE[;EXTENSIONS] OWS CRLF`` (nothing before the size,
    no CTL but tab in an extension), trailers are header lines, and a bare
    LF anywhere is refused at once (a lenient proxy may read it as a line
    end where this server would not: request smuggling)."""
    limits = parser.limits
    while True:
        buf = parser.buffer
        state = parser.chunk_state
        if state == 'data':
            if not buf:
                return NEED_DATA
            take = buf[:parser.remaining]
            parser.buffer = buf[len(take):]
            parser.remaining -= len(take)
            if parser.remaining == 0:
                parser.chunk_state = 'crlf'
            return take
        if state == 'crlf':
            if len(buf) < 2:
                return NEED_DATA
            if buf[:2] != b'\r\n':
                raise ProtocolError(400, 'chunk data not followed by CRLF')
            parser.buffer = buf[2:]
            parser.chunk_state = 'size'
            continue
        size_line = state == 'size'
        eol = buf.find(b'\r\n')
        if eol < 0:
            if b'\n' in buf:
                raise ProtocolError(400, 'bare LF in chunked body')
            if len(buf) > (limits.max_chunk_line if size_line else limits.max_header_line):
                if size_line:
                    raise ProtocolError(400, 'chunk size line too long')
                raise ProtocolError(431, 'trailer line too long')
            return NEED_DATA
        line = buf[:eol]
        parser.buffer = buf[eol + 2:]
        if size_line:
            if eol > limits.max_chunk_line:
                raise ProtocolError(400, 'chunk size line too long')
            semi = line.find(b';')
            if semi < 0:
                size_text = line.rstrip(b' \t')
            else:
                size_text = line[:semi]
                try:
                    _check_value(line[semi:])
                except ProtocolError:
                    raise ProtocolError(400, 'invalid chunk extension')
            if not size_text or len(size_text) > 8 or any(b not in _HEX for b in size_text):
                raise ProtocolError(400, 'invalid chunk size')
            size = int(size_text, 16)
            if size == 0:
                parser.chunk_state = 'trailers'
                continue
            parser.body_size += size
            if parser.body_size > limits.max_body_size:
                raise ProtocolError(413, 'request body too large: server limit '
                                    'Limits.max_body_size (%d bytes)' % limits.max_body_size)
            parser.remaining = size
            parser.chunk_state = 'data'
            continue
        # trailers: header lines until an empty line, checked, then dropped
        parser.trailer_bytes += eol + 2
        if parser.trailer_bytes > limits.max_header_size:
            raise ProtocolError(431, 'trailers too large')
        if eol == 0:
            parser.state = 'done'
            return END
        colon = line.find(b':')
        if colon <= 0 or not _is_token(line[:colon]):
            raise ProtocolError(400, 'malformed trailer line')
        _check_value(line[colon + 1:])
