"""plugdot-templates: the same templates on CPython and on a board, escaped by
default.

On CPython templates render with Jinja2 (one environment per app, from its
settings). On MicroPython they run as plain Python generator functions that
``plugdot bundle`` compiled ahead of time from a documented Jinja2 subset
(:mod:`plugdot_templates.compiler`); the board never parses template text.

Handlers return ``render_template(name, **context)``, ``await
render_template_async(...)`` or ``stream_template(...)`` (class style:
``self.render(...)``); the page is rendered when the response is sent, with
the context plugins add through ``plugdot_template_context(request)``.
"""
__version__ = '0.1.0'

__all__ = ['Template', 'TemplateError', 'TemplateResponse', 'render_template',
           'render_template_async', 'stream_template', '__version__']

#: The hooks this plugin defines for other plugins (loaded with the plugin
#: manager, never on a board that replays a bundle).
PLUGDOT_HOOKSPECS = 'plugdot_templates.hookspecs'


# The template is taken from *args, which is ``render_template(template, /,
# **context)`` (so that ``template=`` can be a context key) in a syntax
# MicroPython also parses.

def _name(args, fn):
    if len(args) != 1:
        raise TypeError('%s() takes the template name and keyword arguments' % fn)
    return args[0]


def render_template(*args, **context):
    """``render_template(template, /, **context)``: a response with
    *template* rendered with *context* (and what
    ``plugdot_template_context`` adds), HTML and escaped whatever the
    template's extension. It renders when sent; see :class:`TemplateResponse`."""
    from .response import TemplateResponse
    return TemplateResponse(_name(args, 'render_template'), context)


async def render_template_async(*args, **context):
    """``render_template_async(template, /, **context)``: as
    :func:`render_template`, rendered with Jinja2's async mode on CPython
    (context values may be awaitables and async iterables)."""
    from .response import TemplateResponse
    return TemplateResponse(_name(args, 'render_template_async'), context, 'async')


def stream_template(*args, **context):
    """``stream_template(template, /, **context)``: as
    :func:`render_template`, streamed: the page goes out in pieces of
    about ``templates_chunk_size`` characters while it renders (chunked
    transfer), so a long report starts arriving at once. On CPython context
    values may be async iterables (rows fetched while the page streams)."""
    from .response import TemplateResponse
    return TemplateResponse(_name(args, 'stream_template'), context, 'stream')


def __getattr__(name):
    # Loaded on first use: an app that renders no template never imports them.
    if name == 'Template':  # the Microdot-compatible class
        from .template import Template
        return Template
    if name in ('TemplateResponse', 'TemplateError'):
        from . import response
        return getattr(response, name)
    raise AttributeError(name)


# -- hooks ---------------------------------------------------------------------

def plugdot_settings():
    """The settings this plugin reads."""
    return {
        'templates_dir': ('templates', 'Folder of the templates, or several '
                          '(a list, or comma-separated).'),
        'templates_cache_size': (400, 'Compiled templates kept per app (Jinja2); '
                                 'templates reload when changed if debug is on.'),
        'templates_chunk_size': (1024, 'Characters gathered before a streamed '
                                 'template sends a chunk.'),
        'templates_engine': ('jinja2', "CPython only: 'compiled' renders with the "
                             "board's engine (templates compiled on first use)."),
    }


def plugdot_app_created(app):
    """Give class-style apps ``self.render``, ``self.render_async`` and
    ``self.stream_template`` (and MicroPie's ``self._render_template``),
    unless the class defines those names; drop the app's template engine
    when its settings change."""
    cls = type(app)
    for name, fn in (('render', render_template), ('render_async', render_template_async),
                     ('stream_template', stream_template),
                     ('_render_template', render_template_async)):
        if not hasattr(cls, name):
            setattr(app, name, fn)
    app.config.listeners.append(lambda: _reset(app))


def plugdot_startup(app):
    """A ``templates_dir`` folder that does not exist stops the app at
    startup, naming it (not a 500 at the first page)."""
    from .engine import check_dirs
    check_dirs(app)


def _reset(app):
    from .engine import reset  # not at app creation: an app may never render
    reset(app)


def plugdot_template_context(request):
    """The context every template gets: ``request`` and ``url_for``."""
    return {'request': request, 'url_for': request.app.url_for}


def plugdot_bundle_modules():
    """The portable modules a board needs to render compiled templates."""
    return ['plugdot_templates', 'plugdot_templates.response', 'plugdot_templates.engine',
            'plugdot_templates.runtime', 'plugdot_templates.template']


def plugdot_bundle_sources(app):
    """The app's templates compiled to Python modules for a board (refused
    with ``file:line`` and the construct when outside the subset)."""
    from .bundle import compiled_sources
    return compiled_sources(app)


def plugdot_add_commands(subparsers):
    """``plugdot check-templates``: check templates against the subset."""
    from .cli import add_command
    add_command(subparsers)
