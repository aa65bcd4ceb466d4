"""Which classifier answers, and what the registry says about models and runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from training.classifiers.base import TextClassifier
from training.config import Settings
from training.db import Database
from training.registry import ActiveClassifier, ModelInfo, ModelRegistry
from training.schema import TrainingRun


@dataclass(frozen=True)
class RunInfo:
    """A ``runs`` row as the app shows it."""

    id: int
    status: str
    trigger: str
    requested_by: str | None
    created_at: datetime
    accuracy: float | None
    promoted: bool | None

    @classmethod
    def of(cls, row: TrainingRun) -> RunInfo:
        metrics = row.candidate_metrics or {}
        accuracy = metrics.get("accuracy")
        return cls(
            id=row.id,
            status=row.status,
            trigger=row.trigger,
            requested_by=row.requested_by,
            created_at=row.created_at,
            accuracy=float(accuracy) if accuracy is not None else None,
            promoted=row.promoted,
        )


class ModelSource:
    """The classifier to use now: the registry's active model, or one injected by tests.

    ``ActiveClassifier`` caches the loaded model and looks at the registry at
    most every 2 s, so the /sport hot path does no database work most of the time.
    """

    def __init__(
        self, settings: Settings, db: Database, classifier: TextClassifier | None = None
    ) -> None:
        self.registry = ModelRegistry(db)
        self.db = db
        self._fixed = classifier
        self._active = ActiveClassifier(self.registry, settings) if classifier is None else None

    def current(self) -> tuple[str, TextClassifier]:
        """(backend, classifier); NoModelError when no model is active."""
        if self._fixed is not None:
            return getattr(self._fixed, "backend", "local"), self._fixed
        info, classifier = self._active.current()
        return info.backend, classifier

    def active_info(self) -> ModelInfo | None:
        return self.registry.active()

    def runs(self, limit: int = 10) -> list[RunInfo]:
        """The newest training runs, newest first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(TrainingRun).order_by(TrainingRun.id.desc()).limit(limit)
            ).all()
            return [RunInfo.of(row) for row in rows]
