"""Making a client's file name safe to use as the last part of a path."""

MAX_LENGTH = 200


def sanitize_filename(raw):
    """The base name of *raw* without control characters or NUL, never
    ``.`` or ``..`` (those become ``upload``), at most 200 characters (the
    extension is kept). ``''`` stays ``''`` (a file input left empty).
    Both ``/`` and ``\\`` separate directories."""
    if not raw:
        return ''
    name = raw.replace('\\', '/')
    name = name[name.rfind('/') + 1:]
    name = ''.join(ch for ch in name if ord(ch) >= 32 and ord(ch) != 127).strip()
    if name in ('', '.', '..'):
        return 'upload'
    if len(name) > MAX_LENGTH:
        dot = name.rfind('.')
        ext = name[dot:] if 0 < dot and len(name) - dot <= 16 else ''
        name = name[:MAX_LENGTH - len(ext)] + ext
    return name
