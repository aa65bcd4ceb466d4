"""People's labels in the ``examples`` table: cast, withdrawn, rejected, listed, read.

Nothing is deleted: a vote changes state (``teaching.STATES``) and stays, with
who changed it and when. Examples stored unchecked (the CLI, tests) and the
examples retraining reads live here too: it is the ``examples`` table's one
store. This module never imports ``bot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update

from training.storage.database import Database
from training.storage.schema import Example, utcnow
from training.storage.teaching import ACCEPTED, REJECTED, SUPERSEDED, WITHDRAWN, Vote, source_key

# What ``VoteStore.cast`` did.
NEW = "new"  # the person's first label for this key
CHANGED = "changed"  # they had given another label: it is superseded
SAME = "same"  # they had given this label already: nothing stored


@dataclass(frozen=True)
class Correction:
    """An ``examples`` row as shown to admins and exported."""

    id: int
    key: str | None
    text: str
    label: str
    user: str | None
    is_admin: bool
    channel: str | None
    ts: str | None
    source: str
    state: str
    created_at: datetime
    decided_by: str | None

    @classmethod
    def of(cls, row: Example) -> Correction:
        return cls(
            id=row.id,
            key=row.source_key,
            text=row.text,
            label=row.label,
            user=row.user_id,
            is_admin=bool(row.is_admin),
            channel=row.channel_id,
            ts=row.message_ts,
            source=row.source,
            state=row.state,
            created_at=row.created_at,
            decided_by=row.decided_by,
        )

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        return data


class VoteStore:
    """Reads and writes votes (the ``examples`` table), and examples stored unchecked."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def cast(
        self,
        *,
        key: str,
        text: str,
        label: str,
        user: str,
        is_admin: bool,
        source: str,
        channel: str | None = None,
        ts: str | None = None,
        model_label: str | None = None,
        model_confidence: float | None = None,
    ) -> str:
        """Record ``user``'s label for ``key``: NEW, CHANGED or SAME (nothing stored).
        ``model_*``: what the model answered for the text when they labelled it."""
        with self.db.session() as session:
            _lock_person_and_key(session, key, user)
            current = session.scalars(
                select(Example).where(
                    Example.source_key == key,
                    Example.user_id == user,
                    Example.state == ACCEPTED,
                )
            ).all()
            if any(row.label == label for row in current):
                return SAME
            for row in current:
                row.state, row.decided_at = SUPERSEDED, utcnow()
            session.add(
                Example(
                    text=text,
                    label=label,
                    user_id=user,
                    channel_id=channel,
                    message_ts=ts,
                    source=source,
                    source_key=key,
                    state=ACCEPTED,
                    is_admin=is_admin,
                    model_label=model_label,
                    model_confidence=model_confidence,
                )
            )
            return CHANGED if current else NEW

    def withdraw(self, *, key: str, user: str, label: str) -> bool:
        """``user`` took back their ``label`` for ``key`` (removed the reaction)."""
        return self._set_state(
            WITHDRAWN,
            by=user,
            where=(
                Example.source_key == key,
                Example.user_id == user,
                Example.label == label,
                Example.state == ACCEPTED,
            ),
        )

    def reject(self, *, by: str, ids: Sequence[int] = (), user: str | None = None) -> int:
        """Reject accepted votes, by id or all of one person's; how many."""
        if not ids and not user:
            return 0
        where = [Example.state == ACCEPTED]
        where.append(Example.id.in_(list(ids)) if ids else Example.user_id == user)
        return self._set_state(REJECTED, by=by, where=tuple(where), count=True)

    def _set_state(self, state: str, *, by: str, where: tuple, count: bool = False) -> Any:
        with self.db.session() as session:
            result = session.execute(
                update(Example)
                .where(*where)
                .values(state=state, decided_by=by, decided_at=utcnow())
            )
            changed = result.rowcount or 0
        return changed if count else changed > 0

    def accepted(self, key: str | None = None) -> list[Vote]:
        """Accepted votes (of ``key``, or all), oldest first."""
        query = select(Example).where(Example.state == ACCEPTED).order_by(Example.id)
        if key is not None:
            query = query.where(Example.source_key == key)
        with self.db.session() as session:
            return [_vote(row) for row in session.scalars(query)]

    def corrections(
        self,
        *,
        limit: int | None = None,
        user: str | None = None,
        state: str | None = None,
        ids: Sequence[int] = (),
    ) -> list[Correction]:
        """Every vote, newest first (``limit`` of them), optionally one person's, one
        state's, or those of ``ids``."""
        query = select(Example).order_by(Example.id.desc())
        if ids:
            query = query.where(Example.id.in_(list(ids)))
        if user:
            query = query.where(Example.user_id == user)
        if state:
            query = query.where(Example.state == state)
        if limit is not None:
            query = query.limit(limit)
        with self.db.session() as session:
            return [Correction.of(row) for row in session.scalars(query)]

    def record_example(
        self,
        *,
        text: str,
        label: str,
        user: str | None,
        channel: str | None,
        ts: str | None,
        source: str,
    ) -> int:
        """Store a labelled example for the next retraining, unchecked (the CLI, tests);
        its id. Slack's labels go through ``cast``."""
        with self.db.session() as session:
            row = Example(
                text=text,
                label=label,
                user_id=user,
                channel_id=channel,
                message_ts=ts,
                source=source,
                source_key=source_key(channel if ts else None, ts, text),
            )
            session.add(row)
            session.flush()
            return row.id

    def examples(self, *, after_id: int = 0) -> list[Example]:
        """Examples newer than ``after_id``, oldest first (what retraining reads)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(Example).where(Example.id > after_id).order_by(Example.id)
            ).all()
            session.expunge_all()
            return list(rows)


def _lock_person_and_key(session: Any, key: str, user: str) -> None:
    """One cast at a time per person and key, across processes: Slack delivers a burst
    of one person's reactions concurrently, and two casts reading "no vote yet" at
    once would both stay accepted. PostgreSQL gets a lock held until the transaction
    ends. SQLite has one writer at a time, but a transaction only becomes the writer
    at its first write: another process's cast could read before this one commits and
    then fail on its stale snapshot. A write that changes nothing, first, makes this
    transaction the writer before it reads, so the other process waits its turn."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"{key}|{user}"}
        )
    else:
        session.execute(_TAKE_SQLITE_WRITE_LOCK)


_TAKE_SQLITE_WRITE_LOCK = text("UPDATE examples SET id = id WHERE 0 = 1")


def _vote(row: Example) -> Vote:
    return Vote(
        id=row.id,
        key=row.source_key or f"example:{row.id}",
        text=row.text,
        label=row.label,
        user=row.user_id,
        is_admin=bool(row.is_admin),
        created_at=row.created_at,
        model_label=row.model_label,
        model_confidence=row.model_confidence,
    )
