"""An app that reports its plugin order, served on CPython and from a
bundle under MicroPython (test_bundle_plugins.py)."""
from plugdot import App

app = App()

HOOKS = ('plugdot_settings', 'plugdot_app_created', 'plugdot_startup', 'plugdot_request',
         'plugdot_resolve', 'plugdot_request_attribute', 'plugdot_parse_body',
         'plugdot_before_request', 'plugdot_after_request', 'plugdot_handle_error',
         'plugdot_make_response', 'plugdot_asgi_scope')


@app.get('/order')
async def order(request):
    pm = request.app.plugins
    hooks = {}
    for hook in HOOKS:
        hooks[hook] = [name for name in pm.owners(hook) if not name.startswith('app-hooks-')]
    return {'plugins': request.app.list_plugins(), 'hooks': hooks}
