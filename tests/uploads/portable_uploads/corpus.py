"""The multipart corpus every parser must agree on (portable).

``VALID``: (name, body) pairs whose parts are checked against ``EXPECTED``
through the app; ``MALFORMED``: (name, body) pairs that must be a 400;
``BOUNDARY`` is the boundary of every body.
"""
BOUNDARY = 'XyZ-plugdot-4f9e'
B = BOUNDARY.encode()
CT = 'multipart/form-data; boundary=' + BOUNDARY


def field(name, value, extra=b''):
    if isinstance(value, str):
        value = value.encode('utf-8')
    return (b'--' + B + b'\r\nContent-Disposition: form-data; name="' + name.encode('utf-8')
            + b'"' + extra + b'\r\n\r\n' + value + b'\r\n')


def file(name, filename, data, content_type='application/octet-stream'):
    if isinstance(filename, str):
        filename = filename.encode('utf-8')
    head = (b'--' + B + b'\r\nContent-Disposition: form-data; name="' + name.encode('utf-8')
            + b'"; filename="' + filename + b'"\r\n')
    if content_type:
        head += b'Content-Type: ' + content_type.encode() + b'\r\n'
    return head + b'\r\n' + data + b'\r\n'


END = b'--' + B + b'--\r\n'
BINARY = bytes(range(256)) * 8
# Content that looks like a delimiter but is not one (a split across pieces must not fool a parser).
TRICKY = b'a\r\n--' + B[:-1] + b'\r\n-\r\r\n--' + B[:5] + b'z\r\n\r\n' + b'\r' * 40 + b'--' + B


def many(count):
    # Allocated once: a growing buffer would need twice the room in a fragmented heap.
    import gc
    gc.collect()
    size = sum(len(field('f%d' % i, str(i))) for i in range(count)) + len(END)
    body = bytearray(size)
    view = memoryview(body)
    pos = 0
    for i in range(count):
        piece = field('f%d' % i, str(i))
        view[pos:pos + len(piece)] = piece
        pos += len(piece)
    view[pos:] = END
    return body


# name -> (body, expected form pairs, expected files [(field, filename, raw, type, content)])
VALID = {
    'text fields': (field('a', '1') + field('b', 'hello world') + field('u', 'héllo ☃ 雪') + END,
                    [('a', '1'), ('b', 'hello world'), ('u', 'héllo ☃ 雪')], []),
    'several files': (field('title', 'docs') + file('f1', 'a.txt', b'hello', 'text/plain')
                      + file('f2', 'b.bin', BINARY) + file('f3', 'tricky.dat', TRICKY) + END,
                      [('title', 'docs')],
                      [('f1', 'a.txt', 'a.txt', 'text/plain', b'hello'),
                       ('f2', 'b.bin', 'b.bin', 'application/octet-stream', BINARY),
                       ('f3', 'tricky.dat', 'tricky.dat', 'application/octet-stream', TRICKY)]),
    'empty file': (file('f', 'empty.txt', b'', 'text/plain') + END, [],
                   [('f', 'empty.txt', 'empty.txt', 'text/plain', b'')]),
    'file input left empty': (file('f', '', b'') + END, [],
                              [('f', '', '', 'application/octet-stream', b'')]),
    'unicode names': (field('naïve', 'oui') + file('pièce', 'résumé 履歴書.pdf', b'%PDF') + END,
                      [('naïve', 'oui')],
                      [('pièce', 'résumé 履歴書.pdf', 'résumé 履歴書.pdf', 'application/octet-stream', b'%PDF')]),
    'traversal names': (file('a', '../../etc/passwd', b'1') + file('b', '..\\..\\windows\\win.ini', b'2')
                        + file('c', '..', b'3') + file('d', '/abs/path/x.txt', b'4')
                        + file('e', 'C:\\Users\\me\\photo.jpg', b'5') + file('g', 'dir/', b'6')
                        + file('h', ' .. ', b'7') + END, [],
                        [('a', 'passwd', '../../etc/passwd', 'application/octet-stream', b'1'),
                         ('b', 'win.ini', '..\\..\\windows\\win.ini', 'application/octet-stream', b'2'),
                         ('c', 'upload', '..', 'application/octet-stream', b'3'),
                         ('d', 'x.txt', '/abs/path/x.txt', 'application/octet-stream', b'4'),
                         ('e', 'photo.jpg', 'C:\\Users\\me\\photo.jpg', 'application/octet-stream', b'5'),
                         ('g', 'upload', 'dir/', 'application/octet-stream', b'6'),
                         ('h', 'upload', ' .. ', 'application/octet-stream', b'7')]),
    'control characters in a name': (file('f', 'evil\t.txt', b'x') + END, [],
                                     [('f', 'evil.txt', 'evil\t.txt', 'application/octet-stream', b'x')]),
    'repeated fields': (field('tag', 'a') + field('tag', 'b') + file('doc', '1.txt', b'one')
                        + field('tag', 'c') + file('doc', '2.txt', b'two') + END,
                        [('tag', 'a'), ('tag', 'b'), ('tag', 'c')],
                        [('doc', '1.txt', '1.txt', 'application/octet-stream', b'one'),
                         ('doc', '2.txt', '2.txt', 'application/octet-stream', b'two')]),
    'filename* ignored': (b'--' + B + b'\r\nContent-Disposition: form-data; name="f"; filename="plain.txt"; '
                          b"filename*=UTF-8''..%2F..%2Fevil\r\n\r\nok\r\n" + END, [],
                          [('f', 'plain.txt', 'plain.txt', '', b'ok')]),
    'quoted-pair in a name': (b'--' + B + b'\r\nContent-Disposition: form-data; name="a\\"b"\r\n\r\nv\r\n' + END,
                              [('a"b', 'v')], []),
    'percent-encoded quote (browsers)': (file('f', 'say %22hi%22.txt', b'q') + END, [],
                                         [('f', 'say %22hi%22.txt', 'say %22hi%22.txt', 'application/octet-stream', b'q')]),
    'empty form': (END, [], []),
    'leading line break': (b'\r\n' + field('a', '1') + END, [('a', '1')], []),
    'no line break after the end': (field('a', '1') + END[:-2], [('a', '1')], []),
    'empty field': (field('a', '') + END, [('a', '')], []),
    # RFC 2046 forbids it in content, python-multipart reads it as content: so do we.
    'delimiter followed by other text': (field('a', b'1\r\n--' + B + b'xx') + END,
                                         [('a', '1\r\n--' + BOUNDARY + 'xx')], []),
    'value with CRLF': (field('a', 'line1\r\nline2\r\n') + END, [('a', 'line1\r\nline2\r\n')], []),
}

MALFORMED = {
    'preamble': b'hello\r\n' + field('a', '1') + END,
    'wrong boundary': field('a', '1').replace(B, b'other') + END.replace(B, b'other'),
    'header without colon': b'--' + B + b'\r\nContent-Disposition form-data; name="a"\r\n\r\n1\r\n' + END,
    'space before colon': b'--' + B + b'\r\nContent-Disposition : form-data; name="a"\r\n\r\n1\r\n' + END,
    'folded header': b'--' + B + b'\r\nContent-Disposition: form-data;\r\n name="a"\r\n\r\n1\r\n' + END,
    'NUL in a header': file('f', b'evil\x00.txt', b'x') + END,
    'CR in a header': file('f', b'evil\r.txt', b'x') + END,
    'headers never end': b'--' + B + b'\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ' + b'p' * 6000,
    'headers too large': b'--' + B + b'\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ' + b'p' * 6000 + b'\r\n\r\n1\r\n' + END,
    'too many headers': b'--' + B + b'\r\nContent-Disposition: form-data; name="a"\r\n'
                        + b''.join(b'X-H%d: v\r\n' % i for i in range(12)) + b'\r\n1\r\n' + END,
    'no Content-Disposition': b'--' + B + b'\r\nContent-Type: text/plain\r\n\r\n1\r\n' + END,
    'not form-data': b'--' + B + b'\r\nContent-Disposition: attachment; name="a"\r\n\r\n1\r\n' + END,
    'no name': b'--' + B + b'\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\n1\r\n' + END,
    'truncated in a part': field('a', '1') + b'--' + B + b'\r\nContent-Disposition: form-data; name="b"\r\n\r\nhalf',
    'truncated in headers': field('a', '1') + b'--' + B + b'\r\nContent-Dispo',
    'no closing delimiter': field('a', '1'),
    'garbage after the end': field('a', '1') + END + b'trailing garbage',
    'field not UTF-8': field('a', b'\xff\xfe') + END,
    'only a boundary': b'--' + B,
}

# Bodies whose malformation the parser alone sees (the rest is the form reader's).
PARSER_MALFORMED = ('preamble', 'wrong boundary', 'header without colon', 'space before colon',
                    'folded header', 'NUL in a header', 'CR in a header', 'headers never end',
                    'headers too large', 'too many headers', 'truncated in a part',
                    'truncated in headers', 'no closing delimiter', 'garbage after the end',
                    'only a boundary')
