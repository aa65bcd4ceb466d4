"""When the tagger tags: let a burst of messages gather, then work through it.

Acknowledgements come first. Slack wants each event acknowledged within 3
seconds; an emoji has no deadline. Tagging takes the same CPU (and, in a
thread, the same GIL) as acknowledging, so while messages keep arriving the
tagger lets them gather, for at most ``SPORTBOT_TAG_DELAY_SECONDS``, then
works through the whole backlog in full batches.

Pure timing logic over queued row ids and a clock: no database, no Slack.
"""

from __future__ import annotations

import time
from typing import Any


class Gathering:
    """When to tag: at once when no message has arrived since the last look, else
    once the backlog is ``delay`` seconds old; then until the queue is empty.

    Judged by what this tagger sees (queued row ids, its own monotonic clock), so
    clocks and time zones of other machines and of the database do not matter.
    """

    def __init__(self, delay: float, clock: Any = time.monotonic) -> None:
        self.delay = delay
        self.clock = clock
        self.waiting = False  # the last look decided to wait
        self._since: float | None = None  # when this tagger first saw the backlog
        self._newest: int | None = None  # the newest queued id at the last look
        self._draining = False

    def ready(self, queued_ids: list[int], *, full: bool) -> bool:
        """Whether to tag these queued rows (oldest first) now; ``full``: a whole
        batch, so more rows wait behind it."""
        self.waiting = False
        if not queued_ids:
            self._since, self._newest, self._draining = None, None, False
            return False
        if self.delay <= 0:
            return True
        arriving = full or queued_ids[-1] != self._newest
        self._newest = queued_ids[-1]
        if not self._draining:
            now = self.clock()
            if self._since is None:
                self._since = now
            if arriving and now - self._since < self.delay:
                self.waiting = True
                return False
        # Tag now, and go on with full batches until a look finds fewer than a
        # batch: that is the last of the backlog, and newer messages gather again.
        self._draining = full
        if not full:
            self._since = None
        return True
