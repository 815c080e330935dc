"""The server's verdict on every request stream of the shared corpus
(tests/http_corpus.py) is h11's: the same requests with the same bodies,
then the same refusal. Checked on the sans-IO parser and over 127.0.0.1
against the running server (under MicroPython: tests/mpy)."""
import pytest
from http_corpus import CASES, STRICTER, TOLERATED, echo_app, h11_verdict, parser_verdict, server_verdict

from plugdot_mpy_server import Limits


@pytest.mark.parametrize('raw', CASES)
def test_the_parser_agrees_with_h11(raw):
    assert parser_verdict(raw, Limits.for_cpython()) == h11_verdict(raw)


@pytest.mark.parametrize('raw,why', STRICTER)
def test_stricter_than_h11_on_purpose(raw, why):
    h11_requests, h11_refused = h11_verdict(raw)
    assert h11_requests and not h11_refused, 'h11 refuses this too: move it to CASES'
    assert parser_verdict(raw, Limits.for_cpython())[1], why


def test_tolerated_though_h11_refuses():
    for raw in TOLERATED:
        assert h11_verdict(raw)[1], 'h11 accepts this too: move it to CASES'
        requests, refused = parser_verdict(raw, Limits.for_cpython())
        assert not refused and requests[0] == ('GET', b'/', b''), raw


def test_the_running_server_agrees_with_h11(running):
    echo_server = running(Limits.for_cpython(header_timeout=2.0, body_timeout=2.0), app=echo_app)
    for raw in CASES:
        assert server_verdict(echo_server.port, raw) == h11_verdict(raw), raw
    for raw, why in STRICTER:
        requests, refused = server_verdict(echo_server.port, raw)
        assert refused and len(requests) < len(h11_verdict(raw)[0]), why
