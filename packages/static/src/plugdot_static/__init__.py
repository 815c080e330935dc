"""plugdot-static: static files for plugdot apps, on CPython and on boards.

``app.mount(StaticFiles('static'), '/static')``, or the ``static_folders``
setting; plugins ship assets with :func:`add_assets`. Templates link assets
with :func:`static_url`, which follows the manifest ``plugdot bundle
--static`` writes (content-hashed, gzipped names). Portable; the file code
loads on first use.
"""
from plugdot._compat import MICROPYTHON

__version__ = '0.1.0'
__all__ = ['StaticFiles', 'add_assets', 'static_url', '__version__']

_MANIFEST = []  # [the bundle's {name: hashed name}], read once


def __getattr__(name):
    if name == 'StaticFiles':  # loads on first use
        from .files import StaticFiles
        return StaticFiles
    raise AttributeError(name)


def plugdot_settings():
    """The static-file settings (see docs/static.md)."""
    return {
        'static_folders': ([], 'Folders served under static_url_path, searched in order '
                               '(empty: none; or mount StaticFiles yourself).'),
        'static_url_path': ('/static', 'Where static_folders are mounted.'),
        'static_cache_control': ('no-cache', 'Cache-Control of static files (revalidated '
                                             'with ETag); empty for none.'),
        'static_fallback': ('', "File answering unknown extension-less paths ('index.html' "
                                'for a single-page app; empty: 404).'),
        'static_max_ranges': (1 if MICROPYTHON else 8,
                              'Most byte ranges in one Range header (more: the whole file).'),
    }


def _settings_mount(app):
    found = getattr(app, '_plugdot_static', None)  # the StaticFiles the settings mounted
    if found is None:
        from .files import StaticFiles
        config = app.config
        found = StaticFiles(cache_control=config.get('static_cache_control') or None,
                            fallback=config.get('static_fallback') or None,
                            max_ranges=config.get('static_max_ranges'))
        app._plugdot_static = found
        folders = config.get('static_folders') or []
        for folder in ([folders] if isinstance(folders, str) else folders):
            found.add(folder)  # the app's folders first: they win over plugins' assets
        app.mount(found, config.get('static_url_path') or '/static')
    return found


def plugdot_app_created(app):
    """Mount the ``static_folders`` (checked when the app starts)."""
    if app.config.get('static_folders'):
        _settings_mount(app)


def add_assets(app, package, folder='static'):
    """Serve the *folder* of *package* (a module name) under the app's
    ``static_url_path``, after the app's own folders, so that an app can
    replace a plugin's file. Call it from a plugin's ``plugdot_app_created``."""
    from .files import _package_dir
    _settings_mount(app).add(_package_dir(package + ':' + folder))


def static_url(name, prefix='/static'):
    """The URL of asset *name* (``'app.css'``): its content-hashed name when
    ``plugdot bundle --static`` made a manifest (``/static/app.3f2a9c1b.css``),
    else ``prefix/name``."""
    name = _assets().get(name.lstrip('/'), name)
    return prefix.rstrip('/') + '/' + name.lstrip('/')


def _assets():
    # The bundle's {name: content-hashed name} (empty without a bundle), read once.
    if not _MANIFEST:
        try:
            from plugdot_static_manifest import ASSETS
        except ImportError:
            ASSETS = {}
        _MANIFEST.append(ASSETS)
    return _MANIFEST[0]


def plugdot_bundle_modules():
    """The portable modules of this plugin (not the CPython-only bundler)."""
    return ['plugdot_static', 'plugdot_static.files', 'plugdot_static.response']
