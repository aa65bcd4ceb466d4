"""The classifier behind a registry row, and the one serving code holds.

``load_classifier`` turns a ``training.storage.registry.ModelInfo`` into its model
family (local artifact, fine-tuned or prompted OpenAI model), importing only the
family it needs. ``ActiveClassifier`` asks the database which model is active at
most every ``refresh_seconds`` and loads the new one when another process
promoted it, so no process needs a restart after a promotion. Imports stay in
``training`` (the registry, the families): never ``bot``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from training.classifiers.base import TextClassifier
from training.config import DEFAULT_SEPARATOR, Settings
from training.errors import NoModelError, RegistryError
from training.states import Backend
from training.storage.registry import ModelInfo, ModelRegistry

log = logging.getLogger(__name__)


def load_classifier(
    info: ModelInfo, settings: Settings, *, lean: bool = False, ledger: Any = None
) -> TextClassifier:
    """The classifier behind a registry entry (local artifact or OpenAI model).

    ``lean``: a local model whose scoring arrays are recorded is loaded from them
    alone (``scoring.scorer.ScoredModel``: same answers, no scikit-learn in the process),
    as the Slack app does; older local models load whole. ``ledger``: the day's spend
    (``training.storage.spend.SpendLedger``) a prompted model checks and adds to.
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
                "(scikit-learn, far more memory); retraining (`sportbot train`) saves them",
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
