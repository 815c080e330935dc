"""The ``memory://`` backend: one process, with history. Portable."""
import time


class MemoryBackend:
    """Channels in this process; the last *history* messages of each are
    kept for resume. Ids are ``'<ms>-<seq>'`` like Redis Streams', so an id
    from before a restart is recognised as older than this history."""

    def __init__(self, history, deliver):
        self.history = history
        self.deliver = deliver
        self.channels = {}  # channel -> list of (id, data)
        self.trimmed = {}  # channel -> newest id dropped from the history
        self._last = (0, 0)
        self.start = self._next_id()

    def _next_id(self):
        ms = int(time.time() * 1000)
        last_ms, seq = self._last
        self._last = (ms, 0) if ms > last_ms else (last_ms, seq + 1)
        return self._last

    async def publish(self, channel, data, timeout):
        """Keep and deliver *data*; return its id."""
        ident = self._next_id()
        text = '%d-%d' % ident
        if self.history:
            kept = self.channels.get(channel)
            if kept is None:
                kept = self.channels[channel] = []
            kept.append((ident, text, data))
            if len(kept) > self.history:
                self.trimmed[channel] = kept.pop(0)[0]
        self.deliver(channel, text, data)
        return text

    async def replay(self, channel, last_id):
        """``(entries after last_id, complete)``."""
        from .broadcast import parse_id
        after = parse_id(last_id)
        trimmed = self.trimmed.get(channel)
        if after is None or after < self.start or (trimmed is not None and after < trimmed) \
                or after > self._last:
            return [], False
        return [(text, data) for ident, text, data in self.channels.get(channel, ())
                if ident > after], True

    async def listen(self, channel):
        """Nothing to do: delivery is direct."""

    def unlisten(self, channel):
        """Nothing to do."""

    async def close(self):
        """Forget everything."""
        self.channels = {}
