"""One conformance suite for pluggy and plugdot's stand-in (plugdot._hooks).

Each scenario runs against every available implementation (on MicroPython
only the stand-in) and the results must agree with the expected ones, which
are pluggy's documented behaviour.
"""
from plugdot import _hooks

try:
    import pluggy
    IMPLEMENTATIONS = [_hooks, pluggy]
except ImportError:
    IMPLEMENTATIONS = [_hooks]


def build(lib):
    """A spec namespace and markers for project 'demo' using *lib*."""
    spec = lib.HookspecMarker('demo')
    impl = lib.HookimplMarker('demo')

    class Specs:
        @spec
        def demo_collect(self, x):
            """All results."""

        @spec(firstresult=True)
        def demo_first(self, x):
            """First non-None result."""

        @spec(historic=True)
        def demo_configure(self, config):
            """Historic."""

    pm = lib.PluginManager('demo')
    pm.add_hookspecs(Specs)
    return pm, impl


def plugin(impl, label, value=None, **opts):
    """A plugin object whose hooks record their label."""
    class P:
        @impl(**opts)
        def demo_collect(self, x):
            return '%s:%s' % (label, x)

        @impl(**opts)
        def demo_first(self, x):
            return value
    p = P()
    p.label = label
    return p


def each(scenario):
    results = [scenario(lib) for lib in IMPLEMENTATIONS]
    for r in results[1:]:
        assert r == results[0], (results[0], r)
    return results[0]


def test_lifo_order():
    def scenario(lib):
        pm, impl = build(lib)
        for label in 'abc':
            pm.register(plugin(impl, label), name=label)
        return pm.hook.demo_collect(x=1)
    assert each(scenario) == ['c:1', 'b:1', 'a:1']


def test_tryfirst_and_trylast():
    def scenario(lib):
        pm, impl = build(lib)
        pm.register(plugin(impl, 'first', tryfirst=True), name='first')
        pm.register(plugin(impl, 'last', trylast=True), name='last')
        pm.register(plugin(impl, 'plain1'), name='plain1')
        pm.register(plugin(impl, 'first2', tryfirst=True), name='first2')
        pm.register(plugin(impl, 'plain2'), name='plain2')
        pm.register(plugin(impl, 'last2', trylast=True), name='last2')
        return pm.hook.demo_collect(x=0)
    assert each(scenario) == ['first2:0', 'first:0', 'plain2:0', 'plain1:0', 'last:0', 'last2:0']


def test_firstresult_stops_at_first_non_none():
    def scenario(lib):
        pm, impl = build(lib)
        pm.register(plugin(impl, 'a', value='A'), name='a')
        pm.register(plugin(impl, 'b', value=None), name='b')
        pm.register(plugin(impl, 'c', value=None), name='c')
        first = pm.hook.demo_first(x=1)
        empty_pm, _ = build(lib)
        return first, empty_pm.hook.demo_first(x=1), empty_pm.hook.demo_collect(x=1)
    assert each(scenario) == ('A', None, [])


def test_unregister_and_names():
    def scenario(lib):
        pm, impl = build(lib)
        a = plugin(impl, 'a')
        pm.register(a, name='a')
        pm.register(plugin(impl, 'b'), name='b')
        before = pm.hook.demo_collect(x=2)
        pm.unregister(a)
        names = sorted(name for name, _ in pm.list_name_plugin())
        dup = False
        try:
            pm.register(plugin(impl, 'x'), name='b')
        except ValueError:
            dup = True
        return before, pm.hook.demo_collect(x=2), names, pm.is_registered(a), dup
    assert each(scenario) == (['b:2', 'a:2'], ['b:2'], ['b'], False, True)


def test_historic_hook_reaches_later_plugins():
    def scenario(lib):
        pm, impl = build(lib)
        seen = []

        class Early:
            @impl
            def demo_configure(self, config):
                seen.append('early:' + config)

        class Late:
            @impl
            def demo_configure(self, config):
                seen.append('late:' + config)

        pm.register(Early(), name='early')
        pm.hook.demo_configure.call_historic(kwargs={'config': 'c1'})
        pm.register(Late(), name='late')
        return seen
    assert each(scenario) == ['early:c1', 'late:c1']


def test_check_pending_rejects_unknown_hooks():
    def scenario(lib):
        pm, impl = build(lib)

        class Bad:
            @impl
            def demo_unknown(self):
                return 1

        pm.register(Bad(), name='bad')
        try:
            pm.check_pending()
        except Exception as exc:
            return type(exc).__name__, 'demo_unknown' in str(exc)
        return None
    assert each(scenario) == ('PluginValidationError', True)


def test_module_level_function_plugins_and_get_hookimpls():
    def scenario(lib):
        pm, impl = build(lib)

        class Mod:
            pass

        @impl
        def demo_collect(x):
            return 'mod:%s' % x

        Mod.demo_collect = staticmethod(demo_collect)
        pm.register(Mod, name='mod')
        impls = pm.hook.demo_collect.get_hookimpls()
        return pm.hook.demo_collect(x=3), [i.plugin_name for i in impls]
    assert each(scenario) == (['mod:3'], ['mod'])


def test_new_style_wrappers_wrap_the_results():
    def scenario(lib):
        pm, impl = build(lib)
        seen = []

        class Wrap:
            @impl(wrapper=True)
            def demo_collect(self, x):
                seen.append('before %s' % x)
                result = yield
                seen.append('after %r' % (result,))
                return result + ['wrapped']

        pm.register(plugin(impl, 'a'))
        pm.register(Wrap())
        pm.register(plugin(impl, 'b'))
        return pm.hook.demo_collect(x=1), seen
    assert each(scenario) == (['b:1', 'a:1', 'wrapped'],
                              ['before 1', "after ['b:1', 'a:1']"])
