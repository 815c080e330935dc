"""Helpers of the uploads tests: the upload app (uploads_app.py) served by a
real server on 127.0.0.1, sizes, peak-RSS reset."""
import os
import sys
import time

from support import free_port, start_server, stop

HERE = os.path.dirname(os.path.abspath(__file__))
MB = 1024 * 1024
SPOOL = 1 * MB               # the default uploads_spool_size
MARGIN = 8 * MB              # interpreter, server and client buffers
BIG = 20 * MB


class Server:
    """uploads_app.py under *kind* (hypercorn, uvicorn, mpy), spooling to its own folder."""

    def __init__(self, kind, tmp):
        self.kind = kind
        self.save = tmp / 'saved'
        self.temp = tmp / 'spool'
        self.save.mkdir()
        self.temp.mkdir()
        self.port = free_port()
        env = dict(os.environ, SAVE_DIR=str(self.save), PLUGDOT_UPLOADS_TEMP_DIR=str(self.temp))
        self.log = open(tmp / 'server.log', 'wb')
        self.proc = start_server([sys.executable, os.path.join(HERE, 'uploads_app.py'), kind,
                                  str(self.port)], self.port, env=env, cwd=HERE, stdout=self.log)
        self.url = 'http://127.0.0.1:%d' % self.port

    def leftovers(self, wait=5.0):
        """The spool folder's files, after waiting up to *wait* s for it to empty."""
        deadline = time.monotonic() + wait
        while True:
            names = os.listdir(self.temp)
            if not names or time.monotonic() > deadline:
                return names
            time.sleep(0.05)

    def stop(self):
        stop(self.proc)
        self.log.close()


def reset_peak_rss(pid):
    """Reset the peak RSS (VmHWM) of process *pid* to its current RSS."""
    with open('/proc/%d/clear_refs' % pid, 'w') as f:
        f.write('5')
