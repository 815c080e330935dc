"""The hooks plugdot-templates defines for other plugins (declared through
``PLUGDOT_HOOKSPECS``; documented with examples in ``docs/hooks.md``)."""
from plugdot.hookspecs import hookspec


@hookspec
def plugdot_template_context(request):
    """Add values to the context of every template rendered for
    ``request`` (``render_template``, ``stream_template``, ``self.render``).

    Return a dict (or ``None``). Values the handler passes win over those of
    plugins; among plugins the first called wins (later-registered plugins
    run first). Called once per rendered template, not per request. Must not
    be async.
    """


@hookspec
def plugdot_template_dirs():
    """Name folders of templates a plugin ships.

    Return a list of folder paths, or ``'package:folder'`` strings for
    templates inside an installed package (a Jinja2 ``PackageLoader``). They
    are searched after the app's ``templates_dir``, so an app can override a
    plugin's template by giving its own file the same name. Called when the
    app's template environment is built (and by ``plugdot bundle``).
    """
