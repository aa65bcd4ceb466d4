"""The model registry: every model sportbot knows, and which one is active.

Exactly one model is active (a partial unique index says so in the database);
``promote`` switches in one transaction. ``ActiveClassifier`` is what serving
code holds: it asks the database which model is active at most every
``refresh_seconds`` and loads the new one when another process promoted it, so
no process needs a restart after a promotion.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from training.classifiers.base import TextClassifier
from training.config import DEFAULT_SEPARATOR, Settings
from training.db import Database
from training.errors import NoModelError, RegistryError
from training.schema import ModelRecord, utcnow
from training.states import Backend, ModelStatus

log = logging.getLogger(__name__)


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


def load_classifier(
    info: ModelInfo, settings: Settings, *, lean: bool = False, ledger: Any = None
) -> TextClassifier:
    """The classifier behind a registry entry (local artifact or OpenAI model).

    ``lean``: a local model whose scoring arrays are recorded is loaded from them
    alone (``scoring.scorer.ScoredModel``: same answers, no scikit-learn in the process),
    as the Slack app does; older local models load whole. ``ledger``: the day's spend
    (``training.spend.SpendLedger``) a prompted model checks and adds to.
    """
    if info.backend == Backend.local:
        if not info.artifact_path:
            raise NoModelError(f"Model {info.id} has no artifact file recorded.")
        if lean and info.scorer_sha256:
            from training.classifiers.scoring import files

            return files.load(files.scorer_path(info.artifact_path), info.scorer_sha256)
        if lean:
            log.info(
                "Model %s was saved without its scoring arrays: loading it whole "
                "(scikit-learn, ~140 MB more); retraining (`sportbot train`) saves them",
                info.id,
            )
        from training.classifiers.local import artifacts

        return artifacts.load(info.artifact_path, expected_sha256=info.artifact_sha256)
    if info.backend == Backend.openai:
        from training.classifiers.openai_model import OpenAIModel

        return OpenAIModel(
            info.id,
            settings=settings.openai,
            labels=tuple(info.labels),
            separator=info.separator or DEFAULT_SEPARATOR,
            **({"system_message": info.system_message} if info.system_message else {}),
        )
    if info.backend == Backend.openai_prompt:
        from training.classifiers import example_bank, prompted

        if not info.artifact_path:
            raise NoModelError(f"Model {info.id} has no example bank recorded.")
        return prompted.PromptedModel(
            info.base_model or settings.prompt.model,
            example_bank.load_bank(info.artifact_path, info.artifact_sha256),
            settings=settings.openai,
            prompt=settings.prompt,
            ledger=ledger,
            model_id=info.id,
        )
    raise RegistryError(f"Model {info.id} has an unknown backend {info.backend!r}.")


@dataclass
class ActiveClassifier:
    """The active model's classifier, reloaded when another process promotes a new one."""

    registry: ModelRegistry
    settings: Settings
    refresh_seconds: float = 2.0
    loader: Callable[[ModelInfo, Settings], TextClassifier] = load_classifier
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _current: tuple[ModelInfo, TextClassifier] | None = field(default=None, repr=False)
    _checked_at: float = field(default=float("-inf"), repr=False)

    def get(self) -> TextClassifier:
        """The classifier to use now; NoModelError when no model is active."""
        return self.current()[1]

    def info(self) -> ModelInfo:
        return self.current()[0]

    def current(self) -> tuple[ModelInfo, TextClassifier]:
        now = time.monotonic()
        current = self._current
        if current is not None and now - self._checked_at < self.refresh_seconds:
            return current
        with self._lock:
            if self._current is not None and now - self._checked_at < self.refresh_seconds:
                return self._current
            active_id = self.registry.active_id()
            if active_id is None:
                raise NoModelError("No model is active yet: run `sportbot train` first.")
            if self._current is None or self._current[0].id != active_id:
                info = self.registry.get(active_id)
                if info is None:  # retired between the two reads: look again next call
                    raise NoModelError("The active model changed while loading; try again.")
                self._current = (info, self.loader(info, self.settings))
            self._checked_at = now
            return self._current
