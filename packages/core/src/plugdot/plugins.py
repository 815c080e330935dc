"""The plugin manager factory.

Each :class:`plugdot.App` owns a plugin manager made by
:func:`make_plugin_manager`: the built-in plugins first, then the plugins
found through the ``plugdot`` entry point group (or an explicit list), minus
a block list. pluggy (or :mod:`plugdot._hooks` on MicroPython) stays the
authority for registration, validation and ordering; the app's plan calls
the plain functions :meth:`PluginManager.implementations` lists. In a
MicroPython bundle the order resolved here is replayed by
:mod:`plugdot._table` instead, and this module is not loaded.
"""
from ._compat import MICROPYTHON, load_pluggy
from ._compat import import_module, positional
from .errors import PluginError
from . import hookspecs

pluggy = load_pluggy()

hookimpl = pluggy.HookimplMarker('plugdot')

#: Modules registered first in every plugin manager: plugdot's own behaviour.
BUILTIN_PLUGINS = ('plugdot.config', 'plugdot.routing', 'plugdot.request',
                   'plugdot.response', 'plugdot.errors')
#: The entry point group third-party plugins declare themselves in.
ENTRY_POINT_GROUP = 'plugdot'

#: The one hook whose implementations are wrappers (pluggy's ``wrapper=True``).
WRAPPER_HOOK = 'plugdot_request'

#: The attribute pluggy's ``@hookimpl`` sets on a function: its options.
_MARKER = 'plugdot_impl'

#: ... and the one ``@hookspec`` sets.
_SPEC_MARKER = 'plugdot_spec'

if not MICROPYTHON:
    from types import FunctionType as _FUNCTION, MethodType as _METHOD, ModuleType as _MODULE

_IMPL_DEFAULTS = {'tryfirst': False, 'trylast': False, 'hookwrapper': False,
                  'optionalhook': False, 'specname': None, 'wrapper': False}


class PluginManager(pluggy.PluginManager):
    """pluggy's manager that finds implementations by their ``plugdot_``
    names (no marker needed) and tells its listeners when plugins change."""

    def __init__(self):
        super().__init__('plugdot')
        self.add_hookspecs(hookspecs)
        self.listeners = []

    def parse_hookimpl_opts(self, plugin, name):
        """Options of a ``plugdot_*`` attribute, marked or not. Every
        implementation of a built-in plugin is ``trylast``: a default that
        gives way to any other plugin."""
        if not name.startswith('plugdot_'):
            return None
        if MICROPYTHON:
            opts = super().parse_hookimpl_opts(plugin, name)
            if opts is None and callable(getattr(plugin, name, None)):
                opts = dict(_IMPL_DEFAULTS)
        else:
            # pluggy's @hookimpl leaves its options on the function as
            # ``plugdot_impl``: read here, not through pluggy's static lookup
            # (inspect.getattr_static), which cost more than the rest of
            # registering a plugin; pluggy checks the attribute again.
            fn = getattr(plugin, name, None)
            opts = getattr(fn, _MARKER, None) if callable(fn) else None
            if opts is None and callable(fn):
                opts = dict(_IMPL_DEFAULTS)
        if opts is None:
            return None
        check_wrapper_opts(name, opts.get('wrapper'), opts.get('hookwrapper'))
        if name == WRAPPER_HOOK or getattr(plugin, '__name__', None) in BUILTIN_PLUGINS:
            opts = dict(opts)
            opts['wrapper'] = opts['wrapper'] or name == WRAPPER_HOOK
            opts['trylast'] = opts['trylast'] or name != WRAPPER_HOOK
        return opts

    def parse_hookspec_opts(self, module_or_class, name):
        """Options of hook spec *name* in *module_or_class*, or None. A
        function of a module: its ``@hookspec`` options read directly
        (pluggy's ``inspect.getattr_static`` lookup of every name of the
        module cost as much as the rest of declaring plugdot's hooks, for
        every app); anything else: pluggy's lookup."""
        if not MICROPYTHON and type(module_or_class) is _MODULE:
            fn = module_or_class.__dict__.get(name)
            if type(fn) is _FUNCTION:
                opts = getattr(fn, _SPEC_MARKER, None)
                return opts if isinstance(opts, dict) else None
            if fn is None or not isinstance(fn, (staticmethod, classmethod, _METHOD)):
                return None  # (not a hook: pluggy's lookup would say so too)
        return super().parse_hookspec_opts(module_or_class, name)

    def register(self, plugin, name=None):
        """Register *plugin* and tell the listeners (apps recompile their plan)."""
        registered = super().register(plugin, name)
        self._changed()
        return registered

    def unregister(self, plugin=None, name=None):
        """Unregister *plugin* and tell the listeners."""
        removed = super().unregister(plugin=plugin, name=name)
        self._changed()
        return removed

    def _changed(self):
        for listener in getattr(self, 'listeners', ()):
            listener()

    def owners(self, name):
        """The names of the plugins implementing hook *name*, in call order
        (parallel to :meth:`implementations`)."""
        return [impl.plugin_name for impl in reversed(getattr(self.hook, name).get_hookimpls())]

    def add(self, plugin, name=None):
        """Register and validate *plugin* (see :func:`register_plugin`)."""
        return register_plugin(self, plugin, name)

    def implementations(self, name, skip=()):
        """Hook *name*'s implementations as plain callables in call order,
        each taking the hook's arguments positionally (what the app's plan
        calls on the request path), but those in *skip* (what
        ``plugdot_inert_hooks`` returned)."""
        caller = getattr(self.hook, name)
        spec_args = _spec_argnames(caller)
        return tuple(positional(impl.function, impl.argnames, spec_args)
                     for impl in reversed(caller.get_hookimpls())
                     if not skip or impl.function not in skip)


def check_wrapper_opts(name, wrapper, hookwrapper):
    """Refuse the wrapper options plugdot cannot honour, with the fix."""
    if hookwrapper:
        raise PluginError('%s: old-style hookwrapper=True is not supported; wrap the request '
                          'with a plugdot_request generator (@hookimpl(wrapper=True), '
                          'docs/hooks.md#plugdot_request)' % name)
    if wrapper and name != WRAPPER_HOOK:
        raise PluginError('%s: wrapper=True is only supported on plugdot_request, which wraps '
                          'the whole request (docs/hooks.md#plugdot_request)' % name)


class _BundledPlugin:
    """A plugin named in a bundle's ``plugdot_bundled`` module."""

    def __init__(self, name, module):
        self.name = name
        self.value = module
        self.version = None

    def load(self):
        """Import and return the plugin module."""
        return import_module(self.value)


def entry_points():
    """The ``plugdot`` entry points of the installed distributions, sorted by
    name (scanned once per process). On MicroPython: the plugins that
    ``plugdot bundle`` listed in the generated ``plugdot_bundled`` module."""
    if MICROPYTHON:
        try:
            from plugdot_bundled import PLUGINS
        except ImportError:
            return []
        return [_BundledPlugin(name, module) for name, module in PLUGINS]
    from ._discovery import entry_points as scan
    return scan()


def _env_list(name):
    from os import getenv
    value = getenv(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(',') if item.strip()]


def _load_entry_point(ep):
    try:
        return ep.load()
    except Exception as exc:
        raise PluginError('plugdot plugin %r (%s) failed to import: %s: %s'
                          % (ep.name, ep.value, type(exc).__name__, exc)) from exc


def make_plugin_manager(plugins=None, block_plugins=None):
    """Build a plugin manager with the built-in plugins and the chosen ones.

    *plugins* is None to load every plugin of the ``plugdot`` entry point
    group (or those named in ``PLUGDOT_PLUGINS``, a comma-separated list), or
    an explicit list of entry point names, module names and plugin objects.
    *block_plugins* (plus ``PLUGDOT_BLOCK_PLUGINS``) names plugins never to
    load. A plugin that fails to import or implements an unknown hook raises
    :class:`PluginError` naming it.
    """
    pm = PluginManager()
    for name in BUILTIN_PLUGINS:
        pm.register(import_module(name), name=name)
    blocked = set(block_plugins or ()) | set(_env_list('PLUGDOT_BLOCK_PLUGINS') or ())
    pm.blocked = blocked
    if plugins is None:
        plugins = _env_list('PLUGDOT_PLUGINS')
    by_name = dict((ep.name, ep) for ep in entry_points())
    if plugins is None:
        chosen = [ep.name for ep in entry_points()]
    else:
        chosen = list(plugins)
    loaded = []
    for item in plugin_order(chosen):
        if isinstance(item, str):
            if item in blocked:
                continue
            if item in by_name:
                plugin = _load_entry_point(by_name[item])
            else:
                try:
                    plugin = import_module(item)
                except ImportError as exc:
                    raise PluginError('plugdot plugin %r is neither an installed plugin nor '
                                      'an importable module: %s' % (item, exc))
            loaded.append((plugin, item))
        else:
            loaded.append((item, None))
    # Every plugin's own hooks are declared before any plugin registers, so
    # that a plugin may implement a hook another plugin defines.
    for plugin, name in loaded:
        add_plugin_hookspecs(pm, plugin, name)
    for plugin, name in loaded:
        register_plugin(pm, plugin, name)
    return pm


def plugin_order(chosen):
    """The order to register *chosen* plugins in, so that their hooks run in
    the one documented order whatever order they were listed in: plugins
    named by a string run in alphabetical order of their names, then plugin
    objects in the order given (objects run before named plugins).
    pluggy calls the last registered first, hence the reversal. The bundle
    replays the result (:func:`plugdot_mpy_server.bundle.make_bundle`)."""
    names = sorted(set(item for item in chosen if isinstance(item, str)))
    objects = [item for item in chosen if not isinstance(item, str)]
    return list(reversed(names)) + list(reversed(objects))


def add_plugin_hookspecs(pm, plugin, name=None):
    """Declare the hooks *plugin* defines for other plugins: its
    ``PLUGDOT_HOOKSPECS`` attribute names a module (or is a module or class)
    of ``@plugdot.hookspecs.hookspec`` functions. Loaded only when a real
    plugin manager is built, never on a board that replays a bundle."""
    specs = getattr(plugin, 'PLUGDOT_HOOKSPECS', None)
    if specs is None:
        return
    done = getattr(pm, 'plugin_hookspecs', None)
    if done is None:
        done = pm.plugin_hookspecs = []
    if specs in done:
        return
    try:
        if isinstance(specs, str):
            specs = import_module(specs)
        pm.add_hookspecs(specs)
        done.append(plugin.PLUGDOT_HOOKSPECS)
    except Exception as exc:
        raise PluginError('plugdot plugin %r declares invalid hooks: %s'
                          % (name or getattr(plugin, '__name__', plugin), exc)) from exc


def register_plugin(pm, plugin, name=None):
    """Register *plugin* and validate it, raising :class:`PluginError` with
    its name if it implements a hook plugdot does not define."""
    if name is None and getattr(plugin, '__name__', None) is None:
        name = object_name(pm, plugin)
    try:
        add_plugin_hookspecs(pm, plugin, name)
        name = pm.register(plugin, name)
        pm.check_pending()
    except Exception as exc:
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        raise PluginError('plugdot plugin %r is invalid: %s'
                          % (name or getattr(plugin, '__name__', plugin), exc)) from exc
    return name


def object_name(pm, plugin):
    """The name of a plugin object registered without one: its class's
    (``RequestTimer``, then ``RequestTimer#2`` for a second instance),
    readable in errors and in ``app.list_plugins()``, where pluggy would
    use its id()."""
    name = label = type(plugin).__name__
    number = 1
    while pm.get_plugin(label) is not None:
        number += 1
        label = '%s#%d' % (name, number)
    return label


def plugin_info(pm):
    """Describe every registered plugin: ``(name, version, hooks)`` tuples,
    in registration order. The version comes from the distribution that
    declared the entry point, or is ``None``."""
    versions = dict((ep.name, ep.version) for ep in entry_points())
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(c.name for c in pm.get_hookcallers(plugin) or ())
        version = versions.get(name)
        if version is None and name.startswith('plugdot.'):
            from . import __version__
            version = __version__
        rows.append((name, version, hooks))
    return rows


def _spec_argnames(caller):
    spec = getattr(caller, 'spec', None)
    if spec is not None:
        return tuple(spec.argnames)
    return tuple(caller.argnames or ())
