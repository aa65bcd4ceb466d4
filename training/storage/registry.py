"""The model registry: every model sportbot knows, and which one is active.

Exactly one model is active (a partial unique index says so in the database);
``promote`` switches in one transaction. Loading the classifier behind a row is
``training.classifiers.loading``'s job: this module stores rows and imports no
model family, nor ``bot``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from training.errors import NoModelError, RegistryError
from training.states import ModelStatus
from training.storage.database import Database
from training.storage.schema import ModelRecord, utcnow


@dataclass(frozen=True)
class ModelInfo:
    """A registry row, detached from the database session."""

    id: str
    backend: str
    base_model: str | None
    labels: list[str]
    prompt_format: str
    separator: str | None
    system_message: str | None
    artifact_path: str | None
    artifact_sha256: str | None
    scorer_sha256: str | None
    data_sha256: str | None
    metrics: dict[str, Any]
    status: str
    run_id: int | None
    created_at: Any
    activated_at: Any

    @classmethod
    def of(cls, record: ModelRecord) -> ModelInfo:
        return cls(**{name: getattr(record, name) for name in cls.__dataclass_fields__})

    @property
    def accuracy(self) -> float | None:
        value = self.metrics.get("accuracy")
        return float(value) if value is not None else None


class ModelRegistry:
    """Reads and changes the ``models`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def register(
        self,
        *,
        id: str,
        backend: str,
        labels: list[str],
        base_model: str | None = None,
        prompt_format: str = "completion",
        separator: str | None = None,
        system_message: str | None = None,
        artifact_path: str | None = None,
        artifact_sha256: str | None = None,
        scorer_sha256: str | None = None,
        data_sha256: str | None = None,
        metrics: dict[str, Any] | None = None,
        run_id: int | None = None,
    ) -> ModelInfo:
        """Record a new candidate model."""
        record = ModelRecord(
            id=id,
            backend=backend,
            labels=list(labels),
            base_model=base_model,
            prompt_format=prompt_format,
            separator=separator,
            system_message=system_message,
            artifact_path=artifact_path,
            artifact_sha256=artifact_sha256,
            scorer_sha256=scorer_sha256,
            data_sha256=data_sha256,
            metrics=metrics or {},
            status=ModelStatus.candidate,
            run_id=run_id,
        )
        try:
            with self.db.session() as session:
                session.add(record)
                session.flush()
                return ModelInfo.of(record)
        except IntegrityError:
            raise RegistryError(f"A model with id {id!r} is already registered.") from None

    def promote(self, model_id: str) -> ModelInfo:
        """Make ``model_id`` the active model and retire the previous one, atomically."""
        try:
            with self.db.session() as session:
                record = session.get(ModelRecord, model_id, with_for_update=True)
                if record is None:
                    raise NoModelError(
                        f"No model {model_id!r} in the registry (see `sportbot models`)."
                    )
                session.execute(
                    update(ModelRecord)
                    .where(ModelRecord.status == ModelStatus.active, ModelRecord.id != model_id)
                    .values(status=ModelStatus.retired)
                )
                session.flush()
                if record.status != ModelStatus.active:
                    record.status = ModelStatus.active
                    record.activated_at = utcnow()
                session.flush()
                return ModelInfo.of(record)
        except IntegrityError:
            raise RegistryError(
                "Another process promoted a model at the same moment; run the promotion again."
            ) from None

    def set_scorer(self, model_id: str, scorer_sha256: str) -> ModelInfo:
        """Record the hash of a local model's scoring arrays, saved after it was registered."""
        with self.db.session() as session:
            record = session.get(ModelRecord, model_id)
            if record is None:
                raise NoModelError(f"No model {model_id!r} in the registry.")
            record.scorer_sha256 = scorer_sha256
            return ModelInfo.of(record)

    def set_metrics(self, model_id: str, metrics: dict[str, Any]) -> None:
        with self.db.session() as session:
            record = session.get(ModelRecord, model_id)
            if record is None:
                raise NoModelError(f"No model {model_id!r} in the registry.")
            record.metrics = {**record.metrics, **metrics}

    def get(self, model_id: str) -> ModelInfo | None:
        with self.db.session() as session:
            record = session.get(ModelRecord, model_id)
            return ModelInfo.of(record) if record else None

    def active(self) -> ModelInfo | None:
        with self.db.session() as session:
            record = session.scalars(
                select(ModelRecord).where(ModelRecord.status == ModelStatus.active)
            ).first()
            return ModelInfo.of(record) if record else None

    def active_id(self) -> str | None:
        with self.db.session() as session:
            return session.scalars(
                select(ModelRecord.id).where(ModelRecord.status == ModelStatus.active)
            ).first()

    def list(self) -> list[ModelInfo]:
        with self.db.session() as session:
            records = session.scalars(select(ModelRecord).order_by(ModelRecord.created_at.desc()))
            return [ModelInfo.of(record) for record in records]
