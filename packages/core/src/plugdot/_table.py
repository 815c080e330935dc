"""A plugin manager that replays a hook table resolved ahead of time.

``plugdot bundle`` lets pluggy register, validate and order the bundled
plugins on CPython, and writes the outcome into the generated
``plugdot_bundled`` module: ``SPECS`` (per hook: flags and argument names)
and ``HOOKS`` (per hook: the implementing plugins in call order). On the
board :class:`TablePluginManager` serves ``app.plugins`` from that table, so
the pluggy stand-in, the hook specs and entry-point discovery never load.

Plugins registered at run time (an app's own hooks, objects a plugin adds)
are placed where pluggy would place them: newest first within the
``tryfirst``, plain and ``trylast`` groups. (The helpers both managers share,
:func:`positional` and :func:`import_module`, live in :mod:`plugdot._compat`,
so that CPython does not load this module.)
"""
from ._compat import MICROPYTHON, import_module, positional  # noqa: F401 (shared helpers)
from .errors import PluginError

#: The flags of a hook in ``SPECS`` (written as numbers in this module's
#: code: a module-level name is heap on a board).
FIRSTRESULT = 1
HISTORIC = 2

_MARKS = {}  # function -> rank, recorded by hookimpl() on a board


def hookimpl(function=None, tryfirst=False, trylast=False, hookwrapper=False, **ignored):
    """The ``@hookimpl`` marker in a bundle: records ``tryfirst`` / ``trylast``
    (``wrapper`` needs no record: ``plugdot_request`` implementations are
    always wrappers; the other pluggy options do not apply to a resolved
    table). Old-style ``hookwrapper`` is refused, as on CPython."""
    if hookwrapper:
        raise PluginError('hookwrapper=True is not supported: use a plugdot_request '
                          'wrapper (docs/hooks.md#plugdot_request)')

    def mark(fn):
        _MARKS[fn] = 0 if tryfirst else 2 if trylast else 1
        return fn
    return mark(function) if function is not None else mark


def bundled():
    """The generated ``plugdot_bundled`` module if this is MicroPython and it
    holds a hook table, else None."""
    if not MICROPYTHON:
        return None
    try:
        import plugdot_bundled
    except ImportError:
        return None
    return plugdot_bundled if hasattr(plugdot_bundled, 'HOOKS') else None


class TablePluginManager:
    """``app.plugins`` on a board: the subset of pluggy's PluginManager that
    plugdot uses, built from *specs* and *table* (see the module docstring).

    *modules* maps the name of each plugin of the table that is not a
    built-in to its module name; *allowed* (names) restricts the table to
    some of those (the built-ins always stay); *argnames*
    maps ``(class name, hook)`` to the parameters of methods of plugin
    objects registered at run time (recorded on CPython).

    ``pm.hook`` is the manager itself, and ``pm.hook.<name>`` an object of
    this class without a table: a caller of that hook (``(**kwargs)``,
    ``call_historic``), so that a board holds no class of its own for them.
    """

    argnames = {}  # (read only: an instance given none keeps the class's, heap on a board)
    specs = ()  # a hook's caller has none (see __getattr__)

    def __init__(self, specs, table, modules, allowed=None, argnames=None):
        self.specs = specs
        if argnames:
            self.argnames = argnames
        # hook -> ((plugin name, rank, argnames), ...) in call order: the
        # table's own rows (constants of the generated module, no heap on a
        # board), tuples rebuilt when a plugin registers or leaves. Without
        # *allowed*, the table itself until then: register and unregister
        # change a copy (a dict less per app on a board).
        self.impls = table if allowed is None else {}
        self.names = {}  # plugin name -> plugin
        self.history = []
        self.listeners = []
        self.hook = self  # pm.hook.<name>: see __getattr__
        for hook in table:
            rows = table[hook]
            if allowed is not None:
                rows = self.impls[hook] = tuple(row for row in rows if row[0] in allowed
                                                or row[0] not in modules)
            for row in rows:
                if row[0] not in self.names:
                    self.names[row[0]] = import_module(modules.get(row[0], row[0]))

    def __getattr__(self, name):
        # pm.hook.<name>: a caller of hook *name* (a manager has no such attribute)
        if name in self.specs:
            caller = object.__new__(TablePluginManager)
            caller.pm = self
            caller.name = name
            return caller
        if name in ('register', 'add', 'unregister'):
            # Plugins registered at run time: the methods (plugdot._table_edit)
            # load on first use and become the class's; most boards never
            # register one, and a function's code is heap there.
            from . import _table_edit
            TablePluginManager.register = TablePluginManager.add = _table_edit.register
            TablePluginManager.unregister = _table_edit.unregister
            return getattr(self, name)
        raise AttributeError(name)

    def __call__(self, **kwargs):
        return self.pm.call(self.name, kwargs)

    def call_historic(self, result_callback=None, kwargs=None):
        """(A hook's caller) Call the implementations now, and each one
        registered later."""
        kwargs = kwargs or {}
        self.pm.history.append((self.name, kwargs))
        for result in self.pm.call(self.name, kwargs):
            if result_callback is not None:
                result_callback(result)

    def call(self, hook, kwargs):
        """Call *hook*'s implementations: a list of the non-None results, or
        the first one for a *firstresult* hook."""
        first = self.specs[hook][0] & 1  # FIRSTRESULT
        results = []
        for name, _, params in self.impls.get(hook, ()):
            fn = getattr(self.names[name], hook)
            result = fn(**kwargs) if params is None else fn(**{k: kwargs[k] for k in params})
            if result is not None:
                if first:
                    return result
                results.append(result)
        return None if first else results

    def owners(self, hook):
        """The names of the plugins implementing *hook*, in call order."""
        return [row[0] for row in self.impls.get(hook, ())]

    def implementations(self, hook, skip=()):
        """*hook*'s implementations in call order, each taking the hook's
        arguments positionally (what the app's plan calls), but those in
        *skip* (what ``plugdot_inert_hooks`` returned)."""
        spec_args = self.specs[hook][1]
        found = []
        for name, _, params in self.impls.get(hook, ()):
            fn = getattr(self.names[name], hook)
            if not skip or fn not in skip:
                found.append(positional(fn, params, spec_args))
        return tuple(found)

    def is_registered(self, plugin):
        """True if *plugin* is registered."""
        return any(p is plugin for p in self.names.values())

    def get_plugins(self):
        """The registered plugins."""
        return list(self.names.values())

    def list_name_plugin(self):
        """``(name, plugin)`` pairs of every registered plugin."""
        return list(self.names.items())

    def check_pending(self):
        """Nothing to check: :meth:`register` refuses unknown hooks."""


def from_bundle(module, plugins=None, block_plugins=None):
    """The manager for an app on a board, from the generated *module*.

    *plugins* None means every bundled plugin; else a list of plugin names
    (each must be bundled) and plugin objects (registered at run time).
    *block_plugins* names bundled plugins to leave out.
    """
    modules = dict(module.PLUGINS)
    blocked = set(block_plugins or ())
    objects = []
    allowed = None
    if plugins is not None:
        allowed = set()
        for item in plugins:
            if not isinstance(item, str):
                objects.append(item)
            elif item in modules:
                allowed.add(item)
            else:
                raise PluginError('plugdot plugin %r is not in this bundle '
                                  '(plugdot bundle --plugin %s)' % (item, item))
    if blocked:
        allowed = (allowed if allowed is not None else set(modules)) - blocked
    pm = TablePluginManager(module.SPECS, module.HOOKS, modules, allowed,
                            getattr(module, 'ARGNAMES', None))
    if blocked:  # (else none: an attribute less; its readers default to ())
        pm.blocked = blocked
    for item in reversed(objects):  # objects run in the order given, as on CPython
        pm.register(item)
    return pm
