"""The :class:`TemplateResponse` handlers return, rendered when it is sent.

Portable: on a board it renders templates compiled ahead of time. Rendering
at send time is what lets ``render_template(name, **context)`` need no
request argument and no hidden request context: the request arrives with
``send``. A template that cannot render (missing, invalid, failing) goes
through the app's error handlers before anything is sent: a 500 with the
cause logged, the detail shown only when ``debug`` is on.
"""
from plugdot import Response
from plugdot._compat import isawaitable

HTML = 'text/html; charset=utf-8'


class TemplateError(Exception):
    """A template is missing, invalid or outside the board's subset; the
    message names the file (and line)."""


class TemplateResponse(Response):
    """A template and its context, rendered to HTML when sent.

    ``template`` is the name, ``context`` the handler's values (after
    rendering: everything the template saw). ``mode`` is ``'render'``,
    ``'async'`` or ``'stream'``. Status, headers and cookies work as on any
    :class:`plugdot.Response`. An ``after_request`` hook that needs the body
    calls ``await response.render(request)`` first.
    """

    def __init__(self, template, context, mode='render', status=200, headers=None):
        Response.__init__(self, '', status, headers, HTML)
        self.template = template
        self.context = context
        self.mode = mode
        self.rendered = False

    async def render(self, request):
        """Render now into ``body`` (a string, or a chunk iterator when
        streaming); later calls do nothing."""
        if self.rendered:
            return
        from .engine import engine, template_context
        context = template_context(request, self.context)
        app = request.app
        templates = engine(app)
        if self.mode == 'stream':
            self.body = await templates.stream(self.template, context,
                                               app.config['templates_chunk_size'])
        elif self.mode == 'async':
            self.body = await templates.render_async(self.template, context)
        else:
            self.body = templates.render(self.template, context, True)
        self.context = context
        self.rendered = True

    async def send(self, send, request):
        """Render, then send like any response; a rendering error is answered
        by the app's error handlers instead."""
        try:
            await self.render(request)
        except Exception as exc:
            response = await _error_response(request, exc)
            await response.send(send, request)
            return
        extensions = request.scope.get('extensions') or {}
        if 'http.response.debug' in extensions:  # test clients: response.template / .context
            await send({'type': 'http.response.debug',
                        'info': {'template': self.template, 'context': self.context}})
        await Response.send(self, send, request)

    def __repr__(self):
        return '<TemplateResponse %d %s>' % (self.status, self.template)


async def _error_response(request, error):
    app = request.app
    value = app.plugins.hook.plugdot_handle_error(request=request, error=error)
    if isawaitable(value):
        value = await value
    if value is None:
        from plugdot.errors import plugdot_handle_error
        value = plugdot_handle_error(request, error)
    return await app.make_response(request, value)
