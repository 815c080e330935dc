"""``Template``: Microdot's template class, for apps moving over.

``Template('page.html').render(name=...)`` returns the page as a string,
``generate(...)`` an iterator of pieces, ``render_async`` /
``generate_async`` the same for async code. Like Microdot's, it uses one
process-wide setup (``Template.initialize(template_dir=...)``, by default
the folder ``templates``); an app's own settings apply to
``render_template`` instead. Escaping follows the extension (``.html``,
``.htm``, ``.xml``, ``.tpl``) on CPython; compiled templates always escape.
"""
from plugdot._compat import MICROPYTHON


class Template:
    """A template by name (Microdot-compatible)."""

    _engine = None

    @classmethod
    def initialize(cls, template_dir='templates', enable_async=False, **options):
        """Set the folder (or list of folders) templates are read from.
        ``enable_async`` is accepted for Microdot compatibility (both modes
        are always available); ``cache_size`` and ``debug`` go to Jinja2."""
        if MICROPYTHON:
            from .engine import board_engine
            cls._engine = board_engine()
            return
        from ._jinja import JinjaEngine
        dirs = [template_dir] if isinstance(template_dir, str) else list(template_dir)
        cls._engine = JinjaEngine(dirs, options.get('cache_size', 400),
                                  bool(options.get('debug')))

    @classmethod
    def engine(cls):
        """The process-wide engine (set up with the defaults on first use)."""
        if cls._engine is None:
            cls.initialize()
        return cls._engine

    def __init__(self, template):
        self.name = template

    def render(self, *args, **kwargs):
        """The page as a string."""
        return self.engine().render(self.name, dict(*args, **kwargs), False)

    def generate(self, *args, **kwargs):
        """The page as an iterator of strings."""
        return self.engine().generate(self.name, dict(*args, **kwargs), False)

    async def render_async(self, *args, **kwargs):
        """The page as a string, from async code."""
        return await self.engine().render_async(self.name, dict(*args, **kwargs), False)

    def generate_async(self, *args, **kwargs):
        """The page as an async iterator of strings."""
        engine = self.engine()
        context = dict(*args, **kwargs)
        if hasattr(engine, 'generate_async'):
            return engine.generate_async(self.name, context, False)
        return _AsyncPieces(engine.generate(self.name, context, False))


class _AsyncPieces:
    """A sync iterator seen as an async one (no async generators on a board)."""

    def __init__(self, pieces):
        self.pieces = pieces

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return next(self.pieces)
        except StopIteration:
            raise StopAsyncIteration
