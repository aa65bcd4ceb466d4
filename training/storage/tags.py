"""The tagger's work queue: the ``tags`` table, one row per channel message.

The Slack app queues a message here (``queue_tag``), the tagger takes the oldest
(``queued_tags``) and settles them (``settle_queued``); people's corrections of a
tag are recorded on its row. It never imports ``bot`` (the Slack app uses
training, never the reverse) nor ``slack_sdk``: it stores what the app hands it.

The writes made for every message (``queue_tag``, ``settle_queued``,
``set_tag_statuses``) are Core statements, not ORM sessions: building and
flushing an ORM object per message costs far more than the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update

from training.states import TagStatus
from training.storage.database import Database
from training.storage.schema import Example, Tag, utcnow

# A tag's states (training.states.TagStatus), by the names the tagger has always used.
TAGGED = TagStatus.tagged
CORRECTED = TagStatus.corrected
SKIPPED = TagStatus.skipped
FAILED = TagStatus.failed
PENDING = TagStatus.pending
QUEUED = TagStatus.queued

# Built once: building the expression costs more than running it.
_SET_STATUS = (
    update(Tag)
    .where(Tag.channel_id == bindparam("channel"), Tag.message_ts == bindparam("ts"))
    .values(
        status=bindparam("status"), reaction=bindparam("reaction"), failure=bindparam("failure")
    )
)
_SETTLE = (
    update(Tag)
    .where(Tag.id == bindparam("tag_id"), Tag.status == QUEUED)
    .values(
        label=bindparam("label"),
        confidence=bindparam("confidence"),
        model_id=bindparam("model_id"),
        reaction=bindparam("reaction"),
        status=bindparam("status"),
    )
)


@dataclass(frozen=True)
class QueuedTag:
    """A message stored for tagging, not classified yet."""

    id: int
    channel: str
    ts: str
    text: str


@dataclass(frozen=True)
class TagInfo:
    """A ``tags`` row, detached from its session."""

    channel_id: str
    message_ts: str
    text: str | None
    label: str | None  # None while queued
    confidence: float | None
    model_id: str | None
    reaction: str | None
    status: str
    failure: str | None
    corrected_label: str | None
    corrected_by: str | None

    @property
    def current_label(self) -> str | None:
        return self.corrected_label or self.label

    @classmethod
    def of(cls, row: Tag) -> TagInfo:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


class TagUpdate(NamedTuple):
    """A tag's outcome once its reaction was tried."""

    channel: str
    ts: str
    status: str
    reaction: str | None = None  # on the message (``tagged``)
    failure: str | None = None  # why not (``failed``): Slack's error code


@dataclass(frozen=True)
class WeeklyCounts:
    tagged: int
    corrected: int
    examples: int


class TagStore:
    """Reads and writes ``tags``; counts ``examples`` for the weekly summary."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Built once (it depends on the dialect): it runs for every message event.
        self._queue = db.insert_ignoring_duplicates(Tag.__table__)

    def queue_tag(self, *, channel: str, ts: str, text: str) -> bool:
        """Store a new message to be classified; False when it is stored already."""
        row = {
            "channel_id": channel,
            "message_ts": ts,
            "text": text,
            "status": QUEUED,
            "created_at": utcnow(),
        }
        return self.db.write(self._queue, row) == 1

    def queued_tags(self, limit: int) -> list[QueuedTag]:
        """The oldest messages waiting to be classified."""
        with self.db.transaction() as connection:
            rows = connection.execute(
                select(Tag.id, Tag.channel_id, Tag.message_ts, Tag.text)
                .where(Tag.status == QUEUED)
                .order_by(Tag.id)
                .limit(limit)
            ).all()
        return [QueuedTag(*row) for row in rows]

    def settle_queued(self, results: list[dict]) -> list[bool]:
        """Store the classification of queued tags; for each, whether this caller did.

        Each dict has ``tag_id``, ``label``, ``confidence``, ``model_id``, ``reaction``
        and ``status``. A row another tagger settled first is left alone (False), so
        two taggers never both react to one message.
        """
        if not results:
            return []
        with self.db.transaction() as connection:
            return [connection.execute(_SETTLE, result).rowcount == 1 for result in results]

    def set_tag_status(
        self,
        channel: str,
        ts: str,
        status: str,
        *,
        reaction: str | None = None,
        failure: str | None = None,
    ) -> None:
        self.set_tag_statuses([TagUpdate(channel, ts, status, reaction, failure)])

    def set_tag_statuses(self, updates: list[TagUpdate]) -> None:
        """The statuses of several tags, in one transaction."""
        rows = [
            {
                "channel": update.channel,
                "ts": update.ts,
                "status": update.status,
                "reaction": update.reaction,
                "failure": update.failure,
            }
            for update in updates
        ]
        with self.db.transaction() as connection:
            connection.execute(_SET_STATUS, rows)

    def tag_for(self, channel: str, ts: str) -> TagInfo | None:
        with self.db.session() as session:
            row = self._tag(session, channel, ts)
            return TagInfo.of(row) if row else None

    def correct_tag(
        self, *, channel: str, ts: str, label: str, user: str, reaction: str | None
    ) -> TagInfo | None:
        """Record a person's label for a tagged message; the tag as it was before, or None."""
        with self.db.session() as session:
            row = self._tag(session, channel, ts)
            if row is None:
                return None
            before = TagInfo.of(row)
            row.corrected_label = label
            row.corrected_by = user
            row.corrected_at = utcnow()
            row.reaction = reaction
            row.status = CORRECTED
            return before

    def uncorrect_tag(self, *, channel: str, ts: str, status: str, reaction: str | None) -> None:
        """Back to the model's own tag: nobody's label stands for the message any more."""
        with self.db.session() as session:
            row = self._tag(session, channel, ts)
            if row is not None:
                row.corrected_label = row.corrected_by = row.corrected_at = None
                row.status, row.reaction = status, reaction

    def weekly_counts(self, *, now: datetime | None = None) -> WeeklyCounts:
        """Messages tagged, tags corrected and examples given in the last 7 days."""
        since = (now or utcnow()) - timedelta(days=7)
        with self.db.session() as session:
            tagged = session.scalar(
                select(func.count())
                .select_from(Tag)
                .where(Tag.created_at >= since, Tag.status.in_([TAGGED, CORRECTED]))
            )
            corrected = session.scalar(
                select(func.count()).select_from(Tag).where(Tag.corrected_at >= since)
            )
            examples = session.scalar(
                select(func.count()).select_from(Example).where(Example.created_at >= since)
            )
        return WeeklyCounts(tagged=tagged or 0, corrected=corrected or 0, examples=examples or 0)

    @staticmethod
    def _tag(session, channel: str, ts: str) -> Tag | None:
        return session.scalars(
            select(Tag).where(Tag.channel_id == channel, Tag.message_ts == ts)
        ).first()
