"""The board's plugin manager, registering plugins at run time: the methods
:meth:`~plugdot._table.TablePluginManager.register` (``add``) and
``unregister``, which the manager makes its own on first use (most boards
never register a plugin at run time, and a function's code is heap there).

A plugin is placed where pluggy would place it: newest first within the
``tryfirst``, plain and ``trylast`` groups.
"""
from ._table import _MARKS
from .errors import PluginError


def register(self, plugin, name=None):
    """Register *plugin*, placed as pluggy would; return its name.
    :class:`PluginError` if it implements a hook plugdot does not define."""
    name = name or getattr(plugin, '__name__', None) or 'plugin-%x' % id(plugin)
    if name in self.names or any(p is plugin for p in self.names.values()):
        raise ValueError('plugin already registered: %s' % name)
    found = []
    for attr in dir(plugin):
        fn = getattr(plugin, attr, None) if attr.startswith('plugdot_') else None
        if callable(fn):
            if attr not in self.specs:
                raise PluginError('plugdot plugin %r is invalid: unknown hook %r'
                                  % (name, attr))
            rank = _MARKS.get(getattr(type(plugin), attr, fn), _MARKS.get(fn, 1))
            found.append((attr, rank, fn))
    self.names[name] = plugin
    self.impls = dict(self.impls)  # never the table's own (see __init__)
    params_of = self.argnames.get
    for hook, rank, fn in found:
        rows = self.impls.get(hook, ())
        i = 0
        while i < len(rows) and rows[i][1] < rank:
            i += 1
        params = params_of((type(plugin).__name__, hook))
        self.impls[hook] = rows[:i] + ((name, rank, params),) + rows[i:]
        if self.specs[hook][0] & 2:  # HISTORIC
            for called, kwargs in self.history:
                if called == hook:
                    fn(**kwargs) if params is None else fn(**{k: kwargs[k] for k in params})
    for listener in self.listeners:
        listener()
    return name


def unregister(self, plugin=None, name=None):
    """Unregister *plugin* (or the plugin called *name*) and return it."""
    if plugin is None:
        plugin = self.names.get(name)
    # by name: in a bundle one (merged) module may be several plugins
    gone = [n for n in self.names if self.names[n] is plugin and name in (None, n)]
    for n in gone:
        del self.names[n]
    self.impls = dict(self.impls)  # never the table's own (see __init__)
    for hook in self.impls:
        self.impls[hook] = tuple(row for row in self.impls[hook] if row[0] not in gone)
    for listener in self.listeners:
        listener()
    return plugin
