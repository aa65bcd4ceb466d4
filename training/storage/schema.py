"""The database tables, shared by every process (web, clock, CLI).

Changes go through an Alembic migration in ``training/storage/migrations/versions``;
``tests/training/storage/test_registry.py`` fails when these tables and the migrations
drift. Only SQLAlchemy is imported: the migrations' ``env.py`` reads these tables
without loading anything else.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class ModelRecord(Base):
    """Every model sportbot has trained or been told about; exactly one is ``active``."""

    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    backend: Mapped[str] = mapped_column(String(20))  # "local" | "openai"
    base_model: Mapped[str | None] = mapped_column(String(100))
    labels: Mapped[list[str]]
    prompt_format: Mapped[str] = mapped_column(String(20), default="completion")  # | "chat"
    separator: Mapped[str | None] = mapped_column(String(40))
    # A chat fine-tune's system message, as in its training file: asking with another
    # one (after the code's default changed) is asking a question it never learned.
    system_message: Mapped[str | None] = mapped_column(Text)
    artifact_path: Mapped[str | None] = mapped_column(Text)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    # A local model's scoring arrays beside its artifact (training.classifiers.scoring.files),
    # which the tagger process loads instead of it; None for models saved before them.
    scorer_sha256: Mapped[str | None] = mapped_column(String(64))
    data_sha256: Mapped[str | None] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="candidate", index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]

    __table_args__ = (
        # At most one active model, enforced by the database itself.
        Index(
            "one_active_model",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class TrainingRun(Base):
    """One retraining run, its state saved at every step so a killed process can resume it."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    backend: Mapped[str] = mapped_column(String(20))
    base_model: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), default="pending", index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="cli")  # cli | slack | schedule
    requested_by: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(100))
    slack_ts: Mapped[str | None] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(100))
    train_file_id: Mapped[str | None] = mapped_column(String(100))
    valid_file_id: Mapped[str | None] = mapped_column(String(100))
    train_path: Mapped[str | None] = mapped_column(Text)
    valid_path: Mapped[str | None] = mapped_column(Text)
    examples_upto: Mapped[int] = mapped_column(Integer, default=0)
    estimated_tokens: Mapped[int | None] = mapped_column(Integer)
    estimated_cost: Mapped[float | None] = mapped_column(Float)
    trained_tokens: Mapped[int | None] = mapped_column(Integer)
    model_id: Mapped[str | None] = mapped_column(String(200))
    candidate_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    active_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    promoted: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]
    # Unique across deployments (the run number is not): the fine-tuning job's
    # ``sportbot_run`` metadata, so a run adopts only a job it created itself.
    run_key: Mapped[str | None] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))


class Lock(Base):
    """Named locks across processes: a row exists while the lock is held."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)


class Example(Base):
    """One person's label for one message (or ``/sport`` text): a vote.

    Rows are never deleted. A person's newest vote on a key is ``accepted``; the
    ones it replaced are ``superseded``; ``withdrawn`` (their reaction removed) and
    ``rejected`` (by an admin) stay too. Training reads the accepted ones,
    resolved per key (``training.storage.teaching``).
    """

    __tablename__ = "examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(50))
    channel_id: Mapped[str | None] = mapped_column(String(50))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))  # button | reaction | shortcut | cli
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # What was labelled: "msg:<channel>:<ts>" or "text:<sha256 of the normalised text>".
    source_key: Mapped[str | None] = mapped_column(String(300), index=True)
    state: Mapped[str] = mapped_column(String(20), default="accepted", index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the model said when the person labelled it: contradicting a sure answer
    # needs a second voice (training.storage.teaching).
    model_label: Mapped[str | None] = mapped_column(String(20))
    model_confidence: Mapped[float | None] = mapped_column(Float)
    # Who rejected it (an admin's id, or "cli"), and when its state last changed.
    decided_by: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None]


class Tag(Base):
    """The reaction sportbot put on a channel message, and any correction of it."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(50))
    message_ts: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    # Empty while ``queued``: the web process stores the message, a tagger classifies it.
    label: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    model_id: Mapped[str | None] = mapped_column(String(200))
    reaction: Mapped[str | None] = mapped_column(String(100))
    # queued -> pending (classified, reaction to add) | skipped -> tagged | failed; corrected
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # Why a ``failed`` tag has no reaction: Slack's error code (``too_many_emoji``, ...).
    failure: Mapped[str | None] = mapped_column(String(100))
    corrected_label: Mapped[str | None] = mapped_column(String(20))
    corrected_by: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    corrected_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("channel_id", "message_ts", name="one_tag_per_message"),)


class SlackEvent(Base):
    """Event ids already handled: Slack redelivers, and any web process may get the retry."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JobSignal(Base):
    """A verified OpenAI webhook saying a fine-tuning job ended: wakes the run polling it."""

    __tablename__ = "job_signals"

    webhook_id: Mapped[str] = mapped_column(String(100), primary_key=True)  # redeliveries: once
    job_id: Mapped[str] = mapped_column(String(100), index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailySpend(Base):
    """What classifying with the prompted OpenAI model cost on one UTC day, shared by
    every process: past SPORTBOT_COST_CAP_USD the local model answers (``spend``)."""

    __tablename__ = "daily_spend"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    usd: Mapped[float] = mapped_column(Float, default=0.0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the one process that told the admins the cap was reached today.
    warned_at: Mapped[datetime | None]
