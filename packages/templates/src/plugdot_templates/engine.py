"""Which engine renders an app's templates, built once per app from its
settings (no module globals), and the context templates get.

On CPython the engine is Jinja2 (:mod:`plugdot_templates._jinja`); the
setting ``templates_engine = 'compiled'`` uses the board's engine instead,
compiling the same files on first use (to see on CPython what a board will
render). On MicroPython it is always the compiled engine, reading the
modules ``plugdot bundle`` generated.
"""
from plugdot._compat import MICROPYTHON

#: The package ``plugdot bundle`` writes the compiled templates into.
COMPILED_PACKAGE = 'plugdot_templates_compiled'


def engine(app):
    """The template engine of *app*, built on first use."""
    found = getattr(app, '_plugdot_templates', None)
    if found is None:
        found = app._plugdot_templates = _build(app)
    return found


def reset(app):
    """Forget *app*'s engine (its settings changed)."""
    app._plugdot_templates = None


def _build(app):
    config = app.config
    if MICROPYTHON:
        return board_engine()
    dirs = template_dirs(app)
    if config.get('templates_engine') == 'compiled':
        from .bundle import source_engine
        return source_engine(dirs)
    from ._jinja import JinjaEngine
    return JinjaEngine(dirs, config['templates_cache_size'], bool(config.get('debug')))


def board_engine():
    """The compiled engine over the modules of a bundle."""
    from .runtime import CompiledEngine
    return CompiledEngine(_load_bundled)


def _load_bundled(name):
    from .response import TemplateError
    try:
        index = __import__(COMPILED_PACKAGE).TEMPLATES
    except ImportError:
        raise TemplateError('no compiled templates on this board: bundle the app with '
                            'plugdot bundle --plugin templates')
    module = index.get(name)
    if module is None:
        raise TemplateError('template %r is not in the bundle (was it in templates_dir '
                            'when plugdot bundle ran?)' % name)
    return getattr(__import__(COMPILED_PACKAGE + '.' + module), module)


def template_dirs(app):
    """The app's ``templates_dir`` folders, then those plugins ship
    (``plugdot_template_dirs``)."""
    dirs = app.config['templates_dir']
    if isinstance(dirs, str):
        dirs = [d.strip() for d in dirs.split(',') if d.strip()]
    dirs = list(dirs)
    for result in app.plugins.hook.plugdot_template_dirs():
        dirs.extend(result or ())
    return dirs


def check_dirs(app):
    """ValueError naming the first folder of an explicitly set
    ``templates_dir`` that does not exist (CPython: a board renders the
    compiled templates of its bundle). The default ``'templates'`` may be
    missing: an app that renders nothing needs none."""
    dirs = app.config['templates_dir']
    if MICROPYTHON or dirs == 'templates':
        return
    import os
    if isinstance(dirs, str):
        dirs = [d.strip() for d in dirs.split(',') if d.strip()]
    for entry in dirs:
        if package_folder(entry) is None and not os.path.isdir(entry):
            raise ValueError('templates_dir: %r is not a folder (from %s): create it, or set '
                             'templates_dir to the folder of your templates'
                             % (entry, os.getcwd()))


def package_folder(entry):
    """``(package, folder)`` if the ``templates_dir`` entry is
    ``'package:folder'`` (templates inside an installed package), else None
    (a path; a Windows drive letter is not a package)."""
    package, sep, folder = entry.partition(':')
    if sep and len(package) > 1 and package.replace('.', '').replace('_', '').isalnum():
        return package, folder or 'templates'
    return None


def template_context(request, context):
    """What a template sees: every ``plugdot_template_context`` dict (the
    first-called plugin winning), then the handler's *context*."""
    merged = {}
    results = request.app.plugins.hook.plugdot_template_context(request=request)
    for extra in reversed(results):
        if extra:
            merged.update(extra)
    merged.update(context)
    return merged
