"""A small stand-in for the subset of pluggy that plugdot uses.

MicroPython has no pluggy, so this module gives the same semantics for what
plugdot needs: spec and implementation markers, registration by name,
``plugdot_``-named implementations, LIFO call order with ``tryfirst`` and
``trylast``, ``firstresult``, ``historic`` hooks, new-style wrappers (``wrapper=True``:
a generator that yields once and gets the result; an exception is not
thrown into it) and ``check_pending``. Old-style hookwrappers are not part
of the subset.

MicroPython cannot set attributes on functions, so the markers record their
options in a dict keyed by the function. A conformance test suite runs the
same scenarios against pluggy and this module.
"""

_SPEC_OPTS = {}
_IMPL_OPTS = {}


class PluginValidationError(Exception):
    """A plugin is invalid: for example it implements an unknown hook."""

    def __init__(self, plugin, message):
        self.plugin = plugin
        super().__init__(message)


class HookspecMarker:
    """Mark a function as a hook specification of *project_name*."""

    def __init__(self, project_name):
        self.project_name = project_name

    def __call__(self, function=None, firstresult=False, historic=False,
                 warn_on_impl=None):
        def mark(func):
            _SPEC_OPTS[func] = {'firstresult': firstresult, 'historic': historic}
            return func
        return mark(function) if function is not None else mark


class HookimplMarker:
    """Mark a function as a hook implementation of *project_name*."""

    def __init__(self, project_name):
        self.project_name = project_name

    def __call__(self, function=None, hookwrapper=False, optionalhook=False,
                 tryfirst=False, trylast=False, specname=None, wrapper=False):
        if hookwrapper:
            raise NotImplementedError('old-style hookwrapper=True is not supported by '
                                      'plugdot._hooks: use wrapper=True')

        def mark(func):
            _IMPL_OPTS[func] = {'tryfirst': tryfirst, 'trylast': trylast, 'wrapper': wrapper,
                                'optionalhook': optionalhook, 'specname': specname}
            return func
        return mark(function) if function is not None else mark


class HookImpl:
    """One implementation of a hook: the function and its options."""

    def __init__(self, plugin, plugin_name, function, opts):
        self.plugin = plugin
        self.plugin_name = plugin_name
        self.function = function
        self.tryfirst = opts.get('tryfirst', False)
        self.trylast = opts.get('trylast', False)
        self.optionalhook = opts.get('optionalhook', False)
        self.wrapper = opts.get('wrapper', False)
        self.argnames = _argnames(function)

    def __repr__(self):
        return '<HookImpl plugin_name=%r>' % (self.plugin_name,)


def _argnames(function):
    from ._compat import signature
    try:
        params = signature(function)
    except (TypeError, ValueError):
        params = None
    if params is None:
        return None  # unknown here: the implementation takes every argument
    return tuple(name for name, _ in params if not name.startswith('*'))


class HookCaller:
    """Calls every implementation of one hook, in pluggy's order."""

    def __init__(self, name, spec_opts=None, argnames=None):
        self.name = name
        self.spec_opts = spec_opts
        self.argnames = argnames
        self._impls = []  # call order is reversed: last item is called first
        self._history = None

    def has_spec(self):
        """True once a hookspec declares this hook."""
        return self.spec_opts is not None

    def get_hookimpls(self):
        """The implementations, in the reverse of call order (like pluggy)."""
        return list(self._impls)

    def _add(self, impl):
        impls = self._impls
        if impl.trylast:
            impls.insert(0, impl)
        elif impl.tryfirst:
            impls.append(impl)
        else:
            i = len(impls)
            while i > 0 and impls[i - 1].tryfirst:
                i -= 1
            impls.insert(i, impl)

    def _remove_plugin(self, plugin):
        self._impls = [i for i in self._impls if i.plugin is not plugin]

    def _call(self, impls, kwargs):
        firstresult = bool(self.spec_opts and self.spec_opts['firstresult'])
        results, wrappers, result = [], [], None
        for impl in reversed(impls):
            if impl.argnames is None:
                res = impl.function(**kwargs)
            else:
                res = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
            if impl.wrapper:
                next(res)
                wrappers.append(res)
            elif res is not None:
                if firstresult:
                    result = res
                    break
                results.append(res)
        if not firstresult:
            result = results
        for gen in reversed(wrappers):
            try:
                gen.send(result)
                raise RuntimeError('a hook wrapper must yield exactly once')
            except StopIteration as stop:
                result = stop.value
        return result

    def __call__(self, **kwargs):
        if self.spec_opts and self.spec_opts['historic']:
            raise TypeError('hook %r is historic: use call_historic()' % self.name)
        return self._call(self._impls, kwargs)

    def call_historic(self, result_callback=None, kwargs=None):
        """Call every implementation now, and each one registered later."""
        kwargs = kwargs or {}
        if self._history is None:
            self._history = []
        self._history.append((kwargs, result_callback))
        for res in self._call(self._impls, kwargs):
            if result_callback is not None:
                result_callback(res)

    def _replay(self, impl):
        for kwargs, callback in self._history or ():
            for res in self._call([impl], kwargs):
                if callback is not None:
                    callback(res)


class _HookRelay:
    """The ``pm.hook`` namespace: one HookCaller attribute per hook."""


class PluginManager:
    """Registers plugins and calls their hooks, like ``pluggy.PluginManager``."""

    def __init__(self, project_name):
        self.project_name = project_name
        self.hook = _HookRelay()
        self._name2plugin = {}
        self._callers = {}

    def _caller(self, name):
        caller = self._callers.get(name)
        if caller is None:
            caller = self._callers[name] = HookCaller(name)
            setattr(self.hook, name, caller)
        return caller

    def add_hookspecs(self, module_or_class):
        """Add the hook specifications found in *module_or_class*."""
        prefix = self.project_name + '_'
        found = False
        for name in dir(module_or_class):
            if not name.startswith(prefix):
                continue
            func = getattr(module_or_class, name)
            opts = _SPEC_OPTS.get(func)
            if opts is None:
                continue
            found = True
            caller = self._caller(name)
            caller.spec_opts = opts
            caller.argnames = _argnames(func)
        if not found:
            raise ValueError('did not find any %r hooks in %r'
                             % (self.project_name, module_or_class))

    def parse_hookimpl_opts(self, plugin, name):
        """The options of *plugin*'s attribute *name* if it is a hook
        implementation, else None. Subclasses may accept more."""
        func = getattr(plugin, name, None)
        if not callable(func):
            return None
        opts = _IMPL_OPTS.get(func)
        if opts is None:
            func = getattr(type(plugin), name, None)
            opts = _IMPL_OPTS.get(func) if func is not None else None
        return opts

    def register(self, plugin, name=None):
        """Register *plugin* and return its name; ValueError if already there."""
        plugin_name = name or getattr(plugin, '__name__', None) or str(id(plugin))
        if plugin_name in self._name2plugin:
            if self._name2plugin[plugin_name] is None:
                return None  # blocked
            raise ValueError('plugin name already registered: %s' % plugin_name)
        if self.is_registered(plugin):
            raise ValueError('plugin already registered: %r' % (plugin,))
        self._name2plugin[plugin_name] = plugin
        for attr in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            hookname = opts.get('specname') or attr
            impl = HookImpl(plugin, plugin_name, getattr(plugin, attr), opts)
            caller = self._caller(hookname)
            caller._add(impl)
            if caller.spec_opts and caller.spec_opts['historic']:
                caller._replay(impl)
        return plugin_name

    def unregister(self, plugin=None, name=None):
        """Unregister *plugin* (or the plugin called *name*) and return it."""
        if name is None:
            name = self.get_name(plugin)
        if plugin is None:
            plugin = self._name2plugin.get(name)
        if plugin is None:
            raise ValueError('plugin is not registered: %r' % (name,))
        for caller in self._callers.values():
            caller._remove_plugin(plugin)
        if self._name2plugin.get(name) is plugin:
            del self._name2plugin[name]
        return plugin

    def set_blocked(self, name):
        """Block registrations under *name* (and unregister a plugin there)."""
        if self._name2plugin.get(name) is not None:
            self.unregister(name=name)
        self._name2plugin[name] = None

    def is_blocked(self, name):
        """True if *name* is blocked."""
        return name in self._name2plugin and self._name2plugin[name] is None

    def is_registered(self, plugin):
        """True if *plugin* is registered."""
        for p in self._name2plugin.values():
            if p is plugin:
                return True
        return False

    def get_plugins(self):
        """The set of registered plugins."""
        return set(p for p in self._name2plugin.values() if p is not None)

    def get_plugin(self, name):
        """The plugin registered as *name*, or None."""
        return self._name2plugin.get(name)

    def get_name(self, plugin):
        """The name *plugin* is registered under, or None."""
        for n, p in self._name2plugin.items():
            if p is plugin:
                return n
        return None

    def has_plugin(self, name):
        """True if a plugin is registered under *name*."""
        return self.get_plugin(name) is not None

    def list_name_plugin(self):
        """``(name, plugin)`` pairs of every registered plugin."""
        return [(n, p) for n, p in self._name2plugin.items() if p is not None]

    def get_hookcallers(self, plugin):
        """The hook callers *plugin* implements."""
        return [c for c in self._callers.values()
                if any(i.plugin is plugin for i in c._impls)]

    def check_pending(self):
        """Raise PluginValidationError for an implementation of an unknown hook."""
        for name, caller in self._callers.items():
            if caller.spec_opts is not None:
                continue
            for impl in caller._impls:
                if not impl.optionalhook:
                    raise PluginValidationError(
                        impl.plugin,
                        'unknown hook %r in plugin %r' % (name, impl.plugin))
