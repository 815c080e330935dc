"""Run the portable test modules under any interpreter, MicroPython included.

Usage: micropython tests/mpy/run_portable.py REPO_ROOT [module ...]
Prints one line per failure and a closing line 'portable: N passed, M failed'.
Exit status 0 only if every test passed and at least one ran.
"""
import sys

root = sys.argv[1]
sys.path.insert(0, root + '/packages/core/src')
sys.path.insert(0, root + '/packages/mpy-server/src')
sys.path.insert(0, root + '/tests/core')
sys.path.insert(0, root + '/tests/mpy_server')
sys.path.insert(0, root + '/packages/sessions/src')
sys.path.insert(0, root + '/tests/sessions')
sys.path.insert(0, root + '/packages/websocket/src')
sys.path.insert(0, root + '/tests/websocket')
sys.path.insert(0, root + '/packages/cors/src')
sys.path.insert(0, root + '/tests/cors')
sys.path.insert(0, root + '/packages/static/src')
sys.path.insert(0, root + '/tests/static')
sys.path.insert(0, root + '/packages/uploads/src')
sys.path.insert(0, root + '/tests/uploads')
sys.path.insert(0, root + '/packages/sse/src')
sys.path.insert(0, root + '/tests/sse')
sys.path.insert(0, root + '/packages/broadcast/src')
sys.path.insert(0, root + '/tests/broadcast')

MODULES = sys.argv[2:] or ['portable.test_routing', 'portable.test_class_routes',
                           'portable.test_request_response', 'portable.test_app_hooks',
                           'portable.test_hooks_conformance', 'portable.test_testclient',
                           'portable.test_json_limit', 'portable.test_json_utf8',
                           'portable.test_request_wrappers',
                           'portable.test_peer_conventions', 'portable.test_url_for',
                           'portable.test_inert_hooks',
                           'portable_server.test_protocol', 'portable_server.test_wsproto',
                           'portable_server.test_clock', 'portable_server.test_stream',
                           'portable_sessions.test_hs256', 'portable_sessions.test_jwt_header_depth',
                           'portable_ws.test_websocket',
                           'portable_cors.test_cors', 'portable_static.test_static',
                           'portable_sse.test_sse', 'portable_broadcast.test_memory']

passed = failed = 0
for name in MODULES:
    module = __import__(name, None, None, ['x'])
    for attr in sorted(dir(module)):
        if not attr.startswith('test_'):
            continue
        fn = getattr(module, attr)
        if not callable(fn):
            continue
        try:
            fn()
        except Exception as exc:
            failed += 1
            print('FAILED %s.%s' % (name, attr))
            sys.print_exception(exc) if hasattr(sys, 'print_exception') else print(repr(exc))
        else:
            passed += 1
            print('ok %s.%s' % (name, attr))
print('portable: %d passed, %d failed' % (passed, failed))
sys.exit(0 if failed == 0 and passed > 0 else 1)
