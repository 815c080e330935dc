"""The sans-IO WebSocket frame parser against valid and broken frames.
Portable: runs under CPython and MicroPython."""
from plugdot_mpy_server.protocol import ProtocolError, Request
from plugdot_mpy_server.wsserver import (NEED_DATA, FrameParser, accept_key, close_frame, frame,
                                         frame_head, handshake_problem, unmask)

MASK = b'\x11\x22\x33\x44'


def client_frame(opcode, payload=b'', fin=True, masked=True, rsv=0):
    n = len(payload)
    first = (0x80 if fin else 0) | rsv | opcode
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head = bytes((first, mask_bit | n))
    elif n < 65536:
        head = bytes((first, mask_bit | 126)) + n.to_bytes(2, 'big')
    else:
        head = bytes((first, mask_bit | 127)) + n.to_bytes(8, 'big')
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def events(data, limit=1000, step=None):
    parser = FrameParser(limit)
    out = []
    step = step or len(data) or 1
    for i in range(0, len(data), step):
        parser.feed(data[i:i + step])
        while True:
            event = parser.next_event()
            if event is NEED_DATA:
                break
            out.append(event)
    return out


def code_of(data, limit=1000):
    try:
        events(data, limit)
    except ProtocolError as exc:  # ProtocolError(close code, reason)
        return exc.args[0]
    return None


def test_handshake_accept_key_rfc6455_example():
    assert accept_key(b'dGhlIHNhbXBsZSBub25jZQ==') == b's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


def test_messages_fragments_and_control_frames_byte_by_byte():
    data = (client_frame(1, b'hello') + client_frame(2, b'\x00\xff') +
            client_frame(1, b'frag', fin=False) + client_frame(9, b'ping!') +
            client_frame(0, b'men', fin=False) + client_frame(0, b'ted') +
            client_frame(1, 'caf\u00e9'.encode()) + client_frame(1, b'x' * 300) +
            client_frame(8, (1000).to_bytes(2, 'big') + b'bye'))
    for step in (None, 1, 7):
        assert events(data, step=step) == [(1, 'hello'), (2, b'\x00\xff'),  # (opcode, ...)
                                           (9, b'ping!'), (1, 'fragmented'),
                                           (1, 'caf\u00e9'), (1, 'x' * 300),
                                           (8, 1000, 'bye')]


def test_protocol_violations_get_the_right_close_code():
    cases = [
        (client_frame(1, b'x', masked=False), 1002),
        (client_frame(1, b'x', rsv=0x40), 1002),
        (client_frame(3, b'x'), 1002),
        (client_frame(9, b'x', fin=False), 1002),
        (client_frame(9, b'x' * 126), 1002),
        (client_frame(0, b'x'), 1002),
        (client_frame(1, b'a', fin=False) + client_frame(1, b'b'), 1002),
        (client_frame(1, b'\xff\xfe'), 1007),
        (client_frame(1, b'/\xc0\xaf'), 1007),  # overlong: MicroPython's decoder lets it by
        (client_frame(1, b'\xed\xa0\x80'), 1007),  # a surrogate
        (client_frame(8, (1000).to_bytes(2, 'big') + b'\xe0\x80\xaf'), 1007),
        (client_frame(8, b'\x03'), 1002),
        (client_frame(8, (999).to_bytes(2, 'big')), 1002),
        (client_frame(8, (1000).to_bytes(2, 'big') + b'\xff'), 1007),
        (client_frame(2, b'y' * 1001), 1009),
        (client_frame(2, b'y' * 600, fin=False) + client_frame(0, b'y' * 600), 1009),
    ]
    for data, code in cases:
        assert code_of(data) == code, (data[:20], code_of(data), code)


def test_close_without_code_and_server_frames():
    assert events(client_frame(8)) == [(8, 1005, '')]
    assert frame(1, b'hi') == b'\x81\x02hi'
    assert frame(2, b'z' * 200)[:4] == b'\x82\x7e\x00\xc8'
    assert frame(2, b'z' * 70000)[:2] == b'\x82\x7f'
    assert close_frame(1000, 'ok') == b'\x88\x04\x03\xe8ok'


def test_unmask_in_place_every_length():
    # On a board in 64-byte steps with a shorter last one: every remainder.
    for n in list(range(0, 140)) + [16384, 16387]:
        plain = bytes((i * 7 + 3) & 255 for i in range(n))
        data = bytearray(b ^ MASK[i % 4] for i, b in enumerate(plain))
        assert unmask(data, MASK) == plain, n  # (on a board: in place, data itself)


def test_a_payload_fills_one_buffer_of_its_length():
    """A frame's payload goes into one bytearray made when its head is in
    (what came with the head first); the server may read into it itself."""
    plain = bytes(i & 255 for i in range(5000))
    data = client_frame(2, plain)
    parser = FrameParser(10000)
    parser.feed(data[:4 + 4 + 100])  # head, mask, 100 payload bytes
    assert parser.next_event() is NEED_DATA and parser.need == 4900
    payload = parser.payload
    assert isinstance(payload, bytearray) and len(payload) == 5000 and parser.got == 100
    view = memoryview(payload)  # as the server reads on a board: into the buffer
    view[100:3000] = data[108:3008]
    parser.got += 2900
    assert parser.next_event() is NEED_DATA and parser.need == 2000
    parser.feed(data[3008:] + client_frame(1, b'next'))  # the rest, and the next frame
    assert parser.payload is payload
    assert parser.next_event() == (2, plain)
    assert parser.payload is None and parser.got == 0  # back to the class defaults
    assert parser.next_event() == (1, 'next')
    assert parser.next_event() is NEED_DATA and parser.need == 2


def test_an_oversize_message_is_refused_before_its_buffer_is_made():
    parser = FrameParser(1000)
    parser.feed(client_frame(2, b'y' * 1001)[:8])  # only the head and the mask
    try:
        parser.next_event()
    except ProtocolError as exc:
        assert exc.args[0] == 1009
    else:
        raise AssertionError('no 1009')
    assert parser.payload is None


def test_frame_head_then_payload_is_the_frame():
    for n in (0, 125, 126, 65535, 65536):
        assert frame_head(2, n) + b'z' * n == frame(2, b'z' * n)


def test_handshake_validation():
    def req(headers, method='GET', version='1.1'):
        return Request(method, b'/ws', version, headers)
    good = [(b'host', b'a'), (b'upgrade', b'websocket'), (b'connection', b'keep-alive, Upgrade'),
            (b'sec-websocket-version', b'13'), (b'sec-websocket-key', b'dGhlIHNhbXBsZSBub25jZQ==')]
    assert handshake_problem(req(good)) is None
    assert handshake_problem(req(good, method='POST'))[0] == 400
    assert handshake_problem(req(good[:2] + good[3:]))[0] == 400
    assert handshake_problem(req(good[:3] + [(b'sec-websocket-version', b'8')] + good[4:]))[0] == 426
    assert handshake_problem(req(good[:4] + [(b'sec-websocket-key', b'short')]))[0] == 400
