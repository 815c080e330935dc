"""A streamed template arrives in several chunks, through hypercorn, to a
real client (httpx), while its rows are still being produced."""
import time

import httpx


def test_streamed_report_arrives_in_pieces_through_hypercorn(serve_cli):
    base = serve_cli('tests/templates/stream_app.py:app')
    arrivals = []
    with httpx.Client(base_url=base, timeout=10) as client:
        with client.stream('GET', '/report', params={'rows': 8}) as r:
            assert r.status_code == 200
            assert r.headers['transfer-encoding'] == 'chunked'
            assert r.headers['content-type'] == 'text/html; charset=utf-8'
            for chunk in r.iter_raw():
                arrivals.append((time.monotonic(), chunk))
    body = b''.join(c for _, c in arrivals).decode()
    assert body.startswith('<table>\n<tr><td>1</td><td>row &lt;1&gt;</td></tr>')
    assert body.endswith('<tr><td>8</td><td>row &lt;8&gt;</td></tr>\n</table>')
    assert len(arrivals) >= 4, [c for _, c in arrivals]
    # The first rows were on the wire long before the last was produced.
    assert arrivals[-1][0] - arrivals[0][0] > 0.5
