"""Mutated corpus bodies (seeded, 1,500 of them) through both parsers and
the app: both parsers agree (the same parts, or both refuse), every refusal
is a MultipartError (400/413), never another exception, and the app never
answers 500."""
import random

from plugdot.testing import TestClient
from plugdot_uploads.parser import MultipartError
from portable_uploads.corpus import CT, VALID
from portable_uploads.test_corpus import collect, make_app


def mutations(seed=20):
    rng = random.Random(seed)
    bodies = [body for body, _, _ in VALID.values() if len(body) < 20000]
    for _ in range(1500):
        body = bytearray(rng.choice(bodies))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            i = rng.randrange(len(body) + 1)
            if op == 0 and body:
                del body[min(i, len(body) - 1)]
            elif op == 1:
                body[i:i] = bytes([rng.choice(b'\r\n-:;="\x00 aZ\xff')])
            elif op == 2 and body:
                body[min(i, len(body) - 1)] = rng.randrange(256)
            else:
                body = body[:i]
        yield bytes(body), rng.choice((1, 7, 64, 1 << 20))


def test_mutated_bodies_parse_alike_and_never_escape_as_other_errors():
    outcomes = {}
    for body, piece in mutations():
        got = []
        for kind in ('portable', 'python-multipart'):
            try:
                got.append(collect(kind, body, piece))
            except MultipartError as exc:
                assert exc.status in (400, 413)
                got.append('refused')
        assert got[0] == got[1], (body, piece, got)
        outcomes[got[0] == 'refused'] = outcomes.get(got[0] == 'refused', 0) + 1
    assert outcomes.get(True) and outcomes.get(False), outcomes


def test_mutated_bodies_never_get_a_500():
    clients = [TestClient(make_app(kind)) for kind in ('portable', 'python-multipart')]
    statuses = set()
    for body, _ in list(mutations(21))[:500]:
        for client in clients:
            r = client.post('/echo', body=body, headers={'Content-Type': CT})
            assert r.status_code in (200, 400, 413), (r.status_code, r.text, body)
            statuses.add(r.status_code)
    assert {200, 400} <= statuses
