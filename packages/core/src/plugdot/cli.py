"""The ``plugdot`` command: ``run``, ``routes``, ``plugins``, ``new-plugin``;
plugins add more through the ``plugdot_add_commands`` hook. CPython only."""
import argparse
import errno
import importlib
import importlib.util
import os
import sys

from .plugins import PluginError, make_plugin_manager, plugin_info


def load_app(target):
    """Import ``module:attr`` or ``path/to/file.py:attr`` and return the app."""
    module_name, _, attr = target.partition(':')
    attr = attr or 'app'
    os.environ['PLUGDOT_LOADING_APP'] = '1'  # a module-level app.run() returns at once
    try:
        return _load_app(module_name, attr)
    finally:
        del os.environ['PLUGDOT_LOADING_APP']


def _load_app(module_name, attr):
    if module_name.endswith('.py') or os.sep in module_name:
        path = os.path.abspath(module_name)
        if not os.path.exists(path):
            raise SystemExit('plugdot: no such file: %s' % module_name)
        sys.path.insert(0, os.path.dirname(path))
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, os.getcwd())
        module = importlib.import_module(module_name)
    try:
        app = getattr(module, attr)
    except AttributeError:
        raise SystemExit('plugdot: %s has no attribute %r' % (module_name, attr))
    if isinstance(app, type):
        app = app()
    return app


def port_problem(host, port):
    """Why *host*:*port* cannot be listened on (in use, no such address), or
    None. Checked before serving: some servers bind with SO_REUSEPORT and
    would share a port with another server instead of failing."""
    import socket
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return 'cannot listen on %s: %s' % (host, exc)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return ('port %d on %s is in use (another server?): stop it or choose another '
                        'port with --port' % (port, host))
            return 'cannot listen on %s:%d: %s' % (host, port, exc.strerror or exc)
    return None


def _cmd_run(args):
    from .serve import ServerMissing, serve
    app = load_app(args.app)
    if args.trace:
        from ._trace import trace
        trace(app, lambda line: print('plugdot trace: ' + line, file=sys.stderr, flush=True))
    problem = port_problem(args.host, args.port)
    if problem is not None:
        print('plugdot: %s' % problem, file=sys.stderr)
        return 1
    try:
        serve(app, args.host, args.port, args.server)
    except ServerMissing as exc:
        print('plugdot: %s' % exc, file=sys.stderr)
        return 1
    except Exception as exc:  # a plugin refused to start, a setting is missing...
        debug = app.config.get('debug')  # PLUGDOT_DEBUG=1
        if debug and 'ifespan' not in type(exc).__name__ + str(exc):  # (the app logged those)
            import traceback
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        print('plugdot: could not start: %s%s' % (
            _reason(exc), '' if debug else ' (PLUGDOT_DEBUG=1 shows the traceback)'),
            file=sys.stderr)
        return 1
    return 0


def _reason(exc):
    # Servers wrap a failed lifespan startup in their own error: name the cause.
    import re
    text = str(exc) or type(exc).__name__
    found = re.search(r'([\'"]?)(\w+(?:Error|Exception): .*)', text)  # hypercorn quotes it
    if found is None:
        return text
    quote, reason = found.groups()
    return reason[:-1] if quote and reason.endswith(quote) else reason


def _cmd_routes(args):
    app = load_app(args.app)
    rows = sorted(app.routes(), key=lambda r: (r[1], r[0]))
    width = max([len(', '.join(r[0])) for r in rows] + [7])
    for methods, pattern, name in rows:
        print('%-*s  %-40s %s' % (width, ', '.join(methods), pattern, name))
    return 0


def _bundle_note(name, plugin):
    from .plugins import BUILTIN_PLUGINS
    if name in BUILTIN_PLUGINS:
        return 'core'
    if getattr(plugin, 'plugdot_bundle_modules', None) is not None:
        return 'bundles for MicroPython'
    return 'CPython only (no plugdot_bundle_modules)'


def _cmd_plugins(args):
    if args.trace:
        if not args.app:
            print('plugdot plugins: --trace needs an app (plugdot plugins app.py --trace /path)',
                  file=sys.stderr)
            return 2
        return _trace_request(args)
    pm = load_app(args.app).plugins if args.app else make_plugin_manager()
    plugins = dict(pm.list_name_plugin())
    rows = plugin_info(pm)  # in registration order: listed in the order hooks run (hooks.md)
    core = [row for row in rows if _bundle_note(row[0], None) == 'core']
    for name, version, hooks in [row for row in reversed(rows) if row not in core] + core:
        print('%s %s  [%s]' % (name, version or '-', _bundle_note(name, plugins.get(name))))
        for hook in hooks:
            print('    %s' % hook)
    blocked = sorted(getattr(pm, 'blocked', ()))
    if blocked:
        print('blocked: %s' % ', '.join(blocked))
    return 0


def _trace_request(args):
    from ._trace import trace
    from .testing import TestClient
    app = trace(load_app(args.app))
    print('%s %s' % (args.method, args.trace))
    response = TestClient(app).request(args.method, args.trace)
    print('-> %d (%d bytes)' % (response.status_code, len(response.body)))
    return 0


def _cmd_new_plugin(args):
    from ._new_plugin import NewPluginError, create
    try:
        path = create(args.name, args.directory)
    except NewPluginError as exc:
        print('plugdot new-plugin: %s' % exc, file=sys.stderr)
        return 1
    print('created %s' % path)
    print('next: pip install -e %s && pytest %s' % (path, os.path.join(path, 'tests')))
    return 0


def build_parser(pm=None):
    """The argument parser, with the subcommands plugins add."""
    parser = argparse.ArgumentParser(prog='plugdot', description='plugdot web framework')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    run = sub.add_parser('run', help='serve an app (module:app or file.py:app)')
    run.add_argument('app')
    run.add_argument('--host', default='127.0.0.1')
    run.add_argument('--port', type=int, default=8000)
    run.add_argument('--server', choices=('hypercorn', 'mpy'), default=None,
                     help='hypercorn (default when installed) or plugdot-mpy-server')
    run.add_argument('--trace', action='store_true',
                     help='log every hook call of every request to stderr (debugging)')
    run.set_defaults(func=_cmd_run)
    routes = sub.add_parser('routes', help="list an app's routes")
    routes.add_argument('app')
    routes.set_defaults(func=_cmd_routes)
    plugins = sub.add_parser('plugins', help='list loaded plugins, versions and hooks, '
                             'whether each bundles for MicroPython')
    plugins.add_argument('app', nargs='?')
    plugins.add_argument('--trace', metavar='PATH',
                         help="send one request to PATH and log each hook call with its plugin")
    plugins.add_argument('--method', default='GET', help='method of the --trace request')
    plugins.set_defaults(func=_cmd_plugins)
    new = sub.add_parser('new-plugin', help='create a plugin distribution: entry point, '
                         'a test on both interpreters, README')
    new.add_argument('name', help='the plugin name, e.g. cache-control (plugdot-cache-control)')
    new.add_argument('-d', '--directory', default='.', help='where to create it')
    new.set_defaults(func=_cmd_new_plugin)
    if pm is None:  # every installed plugin's commands, whatever PLUGDOT_PLUGINS says
        from .plugins import entry_points
        pm = make_plugin_manager([ep.name for ep in entry_points()])
    pm.hook.plugdot_add_commands(subparsers=sub)
    return parser


def main(argv=None):
    """Entry point of the ``plugdot`` command."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, 'func', None):
            parser.print_help()
            return 2
        return args.func(args) or 0
    except PluginError as exc:
        print('plugdot: %s' % exc, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
