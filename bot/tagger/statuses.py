"""The tagger's status writer: reactions' outcomes stored in batches, and the
tags this process is still reacting to.

On SQLite every write transaction takes the database's one write lock, which
the web processes need to store messages; a transaction per reaction made their
inserts wait in SQLite's busy handler (1-100 ms sleeps). So outcomes queue here
and one thread writes all that arrived meanwhile in one transaction.

Talks to the tag store only; Slack calls are the tagger's.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable

from training.errors import DatabaseUnavailableError
from training.storage.tags import TagStore, TagUpdate

log = logging.getLogger(__name__)

# How long the status writer lets reactions' statuses gather before one transaction.
STATUS_BATCH_WAIT = 0.05

Key = tuple[str, str]  # (channel, ts) of a message


class StatusWriter:
    """Stores reactions' statuses in batches on a thread of its own, and keeps the
    (channel, ts) of the tags this process is reacting to until their status is
    stored: a pending tag of our own is work in progress, not a killed tagger's."""

    def __init__(self, tags: TagStore, stopping: threading.Event) -> None:
        self.tags = tags
        self._stopping = stopping
        # Outcomes for the writer; None tells it to end.
        self._statuses: queue.SimpleQueue[TagUpdate | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._inflight: set[Key] = set()
        self._inflight_lock = threading.Lock()

    def claim(self, channel: str, ts: str) -> None:
        with self._inflight_lock:
            self._inflight.add((channel, ts))

    def claim_unclaimed(self, rows: Iterable[tuple]) -> list[tuple]:
        """The rows (channel, ts, ...) nobody in this process works on, claimed now."""
        with self._inflight_lock:
            rows = [row for row in rows if (row[0], row[1]) not in self._inflight]
            self._inflight.update((row[0], row[1]) for row in rows)
        return rows

    def release(self, keys: Iterable[Key]) -> None:
        with self._inflight_lock:
            self._inflight.difference_update(keys)

    def put(self, update: TagUpdate) -> None:
        """Queue an outcome for the writer, starting it if it is not running."""
        self._statuses.put(update)
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._run, name="tag-statuses", daemon=True)
                self._writer.start()

    def stop(self, wait: float = 0.0) -> None:
        """End the writer after it writes what it holds; ``wait``: seconds to wait for it."""
        self._statuses.put(None)
        writer = self._writer
        if wait and writer is not None:
            writer.join(wait)

    def _run(self) -> None:
        """Write statuses in batches: one transaction for all that arrived meanwhile.
        Ends at ``stop()``, after writing what had arrived."""
        stopping = False
        while not stopping:
            updates = [self._statuses.get()]
            time.sleep(STATUS_BATCH_WAIT)
            while True:
                try:
                    updates.append(self._statuses.get_nowait())
                except queue.Empty:
                    break
            stopping = None in updates
            updates = [update for update in updates if update is not None]
            try:
                if updates:
                    self.tags.set_tag_statuses(updates)
                self.release((update.channel, update.ts) for update in updates)
            except DatabaseUnavailableError as error:
                # An outage is not a bug: keep them and try again shortly.
                log.warning("Cannot store %d tag status(es) yet: %s", len(updates), error)
                if not stopping:
                    for update in updates:
                        self._statuses.put(update)
                    self._stopping.wait(1.0)
            except Exception:
                # Left pending: a later look past the grace period finishes them.
                log.exception("Could not store the status of %d tag(s)", len(updates))
                self.release((update.channel, update.ts) for update in updates)
