"""The corpus echo app (tests/http_corpus.py) on plugdot-mpy-server, under MicroPython.

Usage: micropython serve_echo.py REPO_ROOT PORT
"""
import sys

root = sys.argv[1]
sys.path.insert(0, root + '/packages/core/src')
sys.path.insert(0, root + '/packages/mpy-server/src')
sys.path.insert(0, root + '/tests')

from http_corpus import echo_app  # noqa: E402
from plugdot_mpy_server import Limits, serve  # noqa: E402

serve(echo_app, '127.0.0.1', int(sys.argv[2]),
      limits=Limits(header_timeout=2.0, body_timeout=2.0), access_log=False)
