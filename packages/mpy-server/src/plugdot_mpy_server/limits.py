"""The server's limits: :class:`Limits` lives in
:mod:`plugdot_mpy_server.protocol` (one module less on a board); this name
is kept for imports from earlier versions, on CPython. The documented
import is ``from plugdot_mpy_server import Limits``."""
from .protocol import Limits

__all__ = ['Limits']
