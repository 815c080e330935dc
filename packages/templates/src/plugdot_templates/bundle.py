"""Templates compiled for a board (``plugdot bundle``, through the
``plugdot_bundle_sources`` hook) and the compiled engine over template
files on CPython (``templates_engine = 'compiled'``, and the tests).
CPython only."""
import os

from .compiler import compile_template, module_name
from .engine import COMPILED_PACKAGE, package_folder, template_dirs
from .response import TemplateError


def folder(entry):
    """The folder a ``templates_dir`` entry names (``package:folder`` is
    resolved to the installed package's folder)."""
    found = package_folder(entry)
    if found is None:
        return entry
    import importlib.util
    spec = importlib.util.find_spec(found[0])
    if spec is None or not spec.submodule_search_locations:
        raise TemplateError('templates folder %r: no package %r' % (entry, found[0]))
    return os.path.join(list(spec.submodule_search_locations)[0], found[1])


def find_templates(dirs):
    """Every template under *dirs* as ``{name: path}``, the first folder
    winning for a name found in several (as the Jinja2 loader does)."""
    found = {}
    for entry in dirs:
        root = folder(entry)
        for base, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith('.'))
            for filename in sorted(files):
                if filename.startswith('.'):
                    continue
                path = os.path.join(base, filename)
                name = os.path.relpath(path, root).replace(os.sep, '/')
                found.setdefault(name, path)
    return found


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def compile_file(name, path):
    """The compiled module source of the template file at *path*."""
    try:
        source = _read(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError('%s: cannot read the template: %s' % (path, exc)) from exc
    return compile_template(source, name, path)


def compiled_sources(app):
    """``{module: source}`` for the bundle: the package
    ``plugdot_templates_compiled`` with one module per template and an
    index (``TEMPLATES``: name -> module) the board's engine reads."""
    templates = find_templates(template_dirs(app))
    if not templates:
        return {}
    sources, index = {}, {}
    for name, path in sorted(templates.items()):
        module = module_name(name)
        sources[COMPILED_PACKAGE + '.' + module] = compile_file(name, path)
        index[name] = module
    lines = ['"""Templates compiled by plugdot bundle: name -> module."""', 'TEMPLATES = {']
    lines.extend('    %r: %r,' % item for item in sorted(index.items()))
    lines.append('}')
    sources[COMPILED_PACKAGE + '.__init__'] = '\n'.join(lines) + '\n'
    return sources


def source_engine(dirs):
    """The compiled engine over the template files in *dirs*, compiling
    each on first use (what a board runs, on CPython)."""
    import types
    from .runtime import CompiledEngine

    def load(name):
        path = find_templates(dirs).get(name)
        if path is None:
            raise TemplateError('template %s not found (searched %s)'
                                % (name, ', '.join(dirs) or 'no folder'))
        module = types.ModuleType(module_name(name))
        exec(compile(compile_file(name, path), path + '.py', 'exec'), module.__dict__)
        return module
    return CompiledEngine(load)
