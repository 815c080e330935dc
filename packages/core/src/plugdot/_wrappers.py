"""The ``plugdot_request`` wrappers around a request's pipeline: a module of
its own, loaded by the first app whose plugins wrap requests (on a board,
code is heap)."""


async def wrapped(app, plan, request):
    """*app*.dispatch() inside the ``plugdot_request`` wrappers, outermost first;
    a wrapper that raises answers with the error response."""
    started, response = [], None
    for fn in plan['request']:
        try:
            gen = fn(request)
            next(gen)
            started.append(gen)
        except StopIteration:
            response = await app._error_response(plan, request, RuntimeError(
                'a plugdot_request wrapper returned without yielding'), False)
            break
        except Exception as exc:
            response = await app._error_response(plan, request, exc, False)
            break
    if response is None:
        response = await app.dispatch(request)
    for gen in reversed(started):
        try:
            gen.send(response)
            gen.close()
            raise RuntimeError('a plugdot_request wrapper yielded twice')
        except StopIteration as stop:
            if stop.value is not None:
                response = await app.make_response(request, stop.value)
        except Exception as exc:
            response = await app._error_response(plan, request, exc, False)
    return response
