"""Training runs as rows: every step saved as it happens, so a killed process can resume.

The ``runs`` table and the one ``locks`` row that lets a single run train at a
time, across processes. The pipeline (``training.pipeline``) drives the steps;
this module only stores them and imports nothing above ``training.storage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from training.errors import RegistryError, RunInProgressError
from training.states import FINISHED_RUNS, RunStatus
from training.storage.database import Database
from training.storage.schema import Lock, TrainingRun, utcnow

FINISHED = FINISHED_RUNS
LOCK_NAME = "training"


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
    run_key: str | None = None  # a UUID; None for runs created before migration 0007

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
            row = TrainingRun(status=RunStatus.pending, **fields)
            session.add(row)
            session.flush()
            return RunInfo.of(row)

    def create_locked(self, **fields: Any) -> RunInfo:
        """Create a run holding the training lock, or RunInProgressError naming the holder.

        Run and lock are inserted in one transaction: when the lock is taken the
        run row is rolled back too, so a refused request leaves nothing behind.
        A lock whose run has finished (a crash after the run ended) is reclaimed.
        """
        for _ in range(2):
            try:
                with self.db.session() as session:
                    row = TrainingRun(status=RunStatus.pending, **fields)
                    session.add(row)
                    session.flush()
                    session.add(Lock(name=LOCK_NAME, holder=f"run {row.id}"))
                    session.flush()
                    return RunInfo.of(row)
            except IntegrityError:
                holder = self.lock_holder()
                if holder is not None and not holder.finished:
                    raise RunInProgressError(
                        f"Training run {holder.id} is in progress (status {holder.status}, "
                        f"started by {holder.requested_by or holder.trigger}); "
                        "wait for it or `sportbot runs cancel "
                        f"{holder.id}`."
                    ) from None
                self._drop_lock(holder.id if holder else None)
        raise RunInProgressError("Another training run holds the lock.")  # pragma: no cover

    def relock(self, run_id: int) -> None:
        """Take the lock again for ``run_id`` (a paused run being resumed), or
        RunInProgressError naming the run that holds it now."""
        try:
            with self.db.session() as session:
                if session.get(Lock, LOCK_NAME) is None:
                    session.add(Lock(name=LOCK_NAME, holder=f"run {run_id}"))
                    session.flush()
                    return
        except IntegrityError:
            pass
        holder = self.lock_holder()
        if holder is not None and holder.id == run_id:
            return
        if holder is not None and not holder.finished:
            raise RunInProgressError(
                f"Training run {holder.id} is in progress (status {holder.status}); "
                f"run {run_id} can be resumed when it ends."
            )
        self._drop_lock(holder.id if holder else None)
        self.relock(run_id)

    def lock_holder(self) -> RunInfo | None:
        """The run holding the training lock (None when free or the run is gone)."""
        with self.db.session() as session:
            lock = session.get(Lock, LOCK_NAME)
            if lock is None:
                return None
            _, _, number = lock.holder.partition(" ")
            row = session.get(TrainingRun, int(number)) if number.isdigit() else None
            return RunInfo.of(row) if row else None

    def release(self, run_id: int) -> None:
        """Release the lock if ``run_id`` holds it."""
        with self.db.session() as session:
            session.execute(
                delete(Lock).where(Lock.name == LOCK_NAME, Lock.holder == f"run {run_id}")
            )

    def _drop_lock(self, run_id: int | None) -> None:
        # Only the stale holder's row: another process may have just reclaimed it.
        with self.db.session() as session:
            query = delete(Lock).where(Lock.name == LOCK_NAME)
            if run_id is not None:
                query = query.where(Lock.holder == f"run {run_id}")
            session.execute(query)

    def unfinished(self) -> list[RunInfo]:
        with self.db.session() as session:
            rows = session.scalars(
                select(TrainingRun)
                .where(TrainingRun.status.not_in(FINISHED))
                .order_by(TrainingRun.id)
            )
            return [RunInfo.of(row) for row in rows]

    def last_succeeded(self) -> RunInfo | None:
        """The newest run that succeeded: the schedule's new-data baseline.

        A failed run learned nothing, so its examples still count as new.
        """
        with self.db.session() as session:
            row = session.scalars(
                select(TrainingRun)
                .where(TrainingRun.status == RunStatus.succeeded)
                .order_by(TrainingRun.id.desc())
                .limit(1)
            ).first()
            return RunInfo.of(row) if row else None

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
