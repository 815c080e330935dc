"""TestClient(events=N) gives exactly N events, also when the app sends
them faster than the client reads (the outside-in trial got 32 for 2)."""
from plugdot import App
from plugdot.testing import TestClient
from plugdot_sse import with_sse


def test_events_n_is_exactly_n_from_a_handler_that_never_waits():
    app = App(plugins=['sse'])

    @app.route('/clock')
    @with_sse
    async def clock(request, sse):
        n = 0
        while True:
            await sse.send({'n': n}, event='tick')
            n += 1

    r = TestClient(app).get('/clock', events=2)
    assert r.status_code == 200
    assert [(e.event, e.json()) for e in r.events] == [('tick', {'n': 0}), ('tick', {'n': 1})]
