"""Training runs as rows: every step saved as it happens, so a killed process can resume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from training.db import Database
from training.errors import RegistryError
from training.schema import TrainingRun, utcnow

FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class RunInfo:
    """A ``runs`` row, detached from its session."""

    id: int
    backend: str
    base_model: str
    status: str
    trigger: str
    requested_by: str | None
    channel: str | None
    slack_ts: str | None
    job_id: str | None
    train_file_id: str | None
    valid_file_id: str | None
    train_path: str | None
    valid_path: str | None
    examples_upto: int
    estimated_tokens: int | None
    estimated_cost: float | None
    trained_tokens: int | None
    model_id: str | None
    candidate_metrics: dict[str, Any] | None
    active_metrics: dict[str, Any] | None
    promoted: bool | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: TrainingRun) -> RunInfo:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def accuracy(self) -> float | None:
        metrics = self.candidate_metrics or {}
        return metrics.get("accuracy")


class RunStore:
    """Creates, updates and lists training runs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, **fields: Any) -> RunInfo:
        with self.db.session() as session:
            row = TrainingRun(status="pending", **fields)
            session.add(row)
            session.flush()
            return RunInfo.of(row)

    def update(self, run_id: int, **fields: Any) -> RunInfo:
        with self.db.session() as session:
            row = session.get(TrainingRun, run_id)
            if row is None:
                raise RegistryError(f"No training run {run_id}.")
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            return RunInfo.of(row)

    def finish(self, run_id: int, *, status: str, **fields: Any) -> RunInfo:
        return self.update(run_id, status=status, finished_at=utcnow(), **fields)

    def get(self, run_id: int) -> RunInfo | None:
        with self.db.session() as session:
            row = session.get(TrainingRun, run_id)
            return RunInfo.of(row) if row else None

    def latest(self) -> RunInfo | None:
        runs = self.list(limit=1)
        return runs[0] if runs else None

    def list(self, *, limit: int = 20) -> list[RunInfo]:
        with self.db.session() as session:
            rows = session.scalars(select(TrainingRun).order_by(TrainingRun.id.desc()).limit(limit))
            return [RunInfo.of(row) for row in rows]
