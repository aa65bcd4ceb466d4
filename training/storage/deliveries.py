"""Slack deliveries already handled: the ``slack_events`` table, shared by every process.

``claim_event`` is the cross-process deduplication of Slack deliveries: the
primary key of ``slack_events`` lets exactly one web process (or thread) claim
an event id, however many times Slack redelivers it. Signed requests that
change state are claimed here too (by signature) so a replay is refused.
It never imports ``bot`` nor ``slack_sdk``: it stores the keys the app hands it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from training.storage.database import Database
from training.storage.schema import SlackEvent, utcnow


class DeliveryStore:
    """Claims and forgets Slack event ids (the ``slack_events`` table)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Built once (it depends on the dialect): it runs for every Slack event.
        self._claim = db.insert_ignoring_duplicates(SlackEvent.__table__)

    def claim_event(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen by any process; False afterwards."""
        return self.db.write(self._claim, {"event_id": event_id, "received_at": utcnow()}) == 1

    def prune_events(self, older_than: timedelta = timedelta(days=2)) -> int:
        """Forget event ids Slack can no longer redeliver (retries stop after ~5 minutes)."""
        with self.db.session() as session:
            result = session.execute(
                delete(SlackEvent).where(SlackEvent.received_at < utcnow() - older_than)
            )
            return result.rowcount or 0
