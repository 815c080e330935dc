"""The Jinja2 engine of an app on CPython.

One :class:`jinja2.Environment` per app: the app's folders and the folders
plugins ship, escaping by extension (``.html``, ``.htm``, ``.xml``,
``.tpl``), reloading changed files only when ``debug`` is on. Pages
rendered into an HTML response use an overlay that always escapes, and
async rendering another overlay in Jinja2's async mode.
"""
import os

from .engine import package_folder
from .response import TemplateError

AUTOESCAPE_EXTENSIONS = ('html', 'htm', 'xml', 'tpl')


def _jinja():
    try:
        import jinja2
    except ImportError as exc:
        raise TemplateError('plugdot-templates needs Jinja2 on CPython: pip install jinja2 '
                            '(or pip install plugdot-templates, which requires it)') from exc
    return jinja2


def loader(dirs):
    """A Jinja2 loader over *dirs*: folder paths, or ``package:folder``."""
    jinja2 = _jinja()
    loaders = []
    for entry in dirs:
        found = package_folder(entry)
        if found is not None:
            loaders.append(jinja2.PackageLoader(*found))
        else:
            loaders.append(jinja2.FileSystemLoader(entry))
    return jinja2.ChoiceLoader(loaders)


class JinjaEngine:
    """Renders an app's templates with Jinja2; errors become
    :class:`TemplateError` naming the file and line."""

    def __init__(self, dirs, cache_size=400, debug=False):
        jinja2 = _jinja()
        self.dirs = list(dirs)
        self.env = jinja2.Environment(
            loader=loader(self.dirs), cache_size=cache_size, auto_reload=debug,
            autoescape=jinja2.select_autoescape(AUTOESCAPE_EXTENSIONS, default_for_string=True))
        self.html = self.env.overlay(autoescape=True)
        self.html_async = self.html.overlay(enable_async=True)
        self.plain_async = self.env.overlay(enable_async=True)

    def template(self, name, html=True, is_async=False):
        """The compiled Jinja2 template *name*."""
        if is_async:
            env = self.html_async if html else self.plain_async
        else:
            env = self.html if html else self.env
        with self.errors(name):
            return env.get_template(name)

    def errors(self, name):
        """A context manager turning Jinja2's missing-template and syntax
        errors (also those of includes) into :class:`TemplateError`."""
        return _Errors(name, self.dirs)

    def render(self, name, context, html=True):
        """The page as a string."""
        template = self.template(name, html)
        with self.errors(name):
            return template.render(context)

    async def render_async(self, name, context, html=True):
        """The page as a string, rendered in Jinja2's async mode."""
        template = self.template(name, html, True)
        with self.errors(name):
            return await template.render_async(context)

    def generate(self, name, context, html=False):
        """The page as an iterator of strings (sync)."""
        template = self.template(name, html)
        with self.errors(name):
            return template.generate(context)

    def generate_async(self, name, context, html=False):
        """The page as an async iterator of strings."""
        return self.template(name, html, True).generate_async(context)

    async def stream(self, name, context, size):
        """An async iterator of chunks of about *size* characters; the
        first chunk is rendered before this returns, so that an error at
        the start of the page is a 500, not a broken 200."""
        pieces = self.generate_async(name, context, True)
        chunks = _chunks(pieces, size, self.errors(name))
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            first = ''
        return _prepend(first, chunks)


class _Errors:
    def __init__(self, name, dirs):
        self.name = name
        self.dirs = dirs

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            return False
        jinja2 = _jinja()
        if isinstance(exc, jinja2.TemplateSyntaxError):
            raise TemplateError('%s:%s: template syntax error: %s'
                                % (exc.filename or exc.name or self.name, exc.lineno,
                                   exc.message)) from exc
        if isinstance(exc, jinja2.TemplateNotFound):
            missing = ', '.join(getattr(exc, 'templates', None) or [exc.name])
            raise TemplateError('template %s not found (searched %s)%s'
                                % (missing, ', '.join(self.dirs) or 'no folder',
                                   _absent(self.dirs))) from exc
        return False


def _absent(dirs):
    # The default 'templates' is not checked at startup (an app with the
    # plugin installed may render nothing): say so when a page needs it.
    gone = [d for d in dirs  # ('package:folder' entries are a plugin's)
            if (':' not in d or os.path.isabs(d)) and not os.path.isdir(d)]
    if not gone:
        return ''
    return ': %s is not a folder (from %s): create it, or set templates_dir' % (
        ', '.join(repr(d) for d in gone), os.getcwd())


async def _chunks(pieces, size, errors):
    buffer, length = [], 0
    with errors:
        async for piece in pieces:
            buffer.append(piece)
            length += len(piece)
            if length >= size:
                yield ''.join(buffer)
                buffer, length = [], 0
    if buffer:
        yield ''.join(buffer)


async def _prepend(first, rest):
    if first:
        yield first
    async for chunk in rest:
        yield chunk
