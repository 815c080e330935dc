"""plugdot-uploads: ``multipart/form-data`` forms and file uploads.

Implements ``plugdot_parse_body`` for multipart bodies (``request.form``,
``request.files``) and provides ``request.parts()`` on ``stream=True``
routes, for files bigger than memory. python-multipart parses on CPython,
the portable :mod:`plugdot_uploads.parser` on MicroPython. Every limit is
an ``uploads_*`` setting, overridable per route with :func:`upload_limits`.
See docs/uploads.md.
"""
from .limits import upload_limits

__version__ = '0.1.0'
__all__ = ['Part', 'Upload', 'upload_limits', '__version__']


def __getattr__(name):
    if name == 'Upload':  # loads on first use
        from .upload import Upload
        return Upload
    if name == 'Part':
        from .parts import Part
        return Part
    raise AttributeError(name)


def plugdot_settings():
    """The ``uploads_*`` settings (see docs/uploads.md)."""
    from .limits import settings
    return settings()


def plugdot_parse_body(request, content_type):
    """Read a ``multipart/form-data`` body into ``form`` and ``files`` (a
    coroutine; None for other bodies, without making one)."""
    if content_type != 'multipart/form-data':
        return None
    from .form import read_form
    from .limits import limits_for
    return read_form(request, limits_for(request))


def plugdot_request_attribute(request, name):
    """``request.parts(**limits)``: the parts of a streamed multipart body."""
    if name != 'parts':
        return None

    def parts(**overrides):
        from .limits import limits_for
        from .parts import PartReader
        limits = limits_for(request)
        for key, value in overrides.items():
            setattr(limits, key, value)
        return PartReader(request, limits)
    return parts


try:  # the name it answers (CPython: a descriptor, see plugdot.request.declare_attributes)
    plugdot_request_attribute.names = ('parts',)
except AttributeError:  # a board's functions take no attributes
    pass


def plugdot_bundle_modules():
    """The modules a MicroPython bundle needs (never python-multipart's adapter)."""
    return ['plugdot_uploads', 'plugdot_uploads.limits', 'plugdot_uploads.parser',
            'plugdot_uploads.filename', 'plugdot_uploads.storage', 'plugdot_uploads.upload',
            'plugdot_uploads.form', 'plugdot_uploads.parts']
