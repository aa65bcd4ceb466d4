"""Which classifier answers, and what the registry says about models and runs."""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from training.classifiers.base import Prediction, TextClassifier
from training.classifiers.loading import ActiveClassifier, load_classifier
from training.config import Settings
from training.errors import (
    ClassifyError,
    DailyCapError,
    DatabaseUnavailableError,
    NoModelError,
    OpenAIError,
    OpenAINotFoundError,
)
from training.states import Backend
from training.storage.database import Database
from training.storage.registry import ModelInfo, ModelRegistry
from training.storage.runs import RunInfo, RunStore
from training.storage.spend import SpendLedger

log = logging.getLogger(__name__)

# On the request path an OpenAI model gets one try of at most this long; past it the
# local fallback answers (the CLI keeps SPORTBOT_OPENAI_TIMEOUT and its retries).
SERVING_OPENAI_TIMEOUT = 4.0


@dataclass(frozen=True)
class Answer:
    """A prediction, and a note for the reader when a fallback model gave it."""

    prediction: Prediction
    note: str | None = None


class ModelSource:
    """The classifier to use now: the registry's active model, or one injected by tests.

    Loading a model takes seconds (longer than Slack's 3 s to acknowledge), so a
    background thread follows the registry (``ActiveClassifier``, every
    ``refresh_seconds``) and loads a newly promoted model off the request path;
    requests read the last loaded one and touch the database only while no
    model has been loaded yet.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        classifier: TextClassifier | None = None,
        *,
        refresh_seconds: float = 2.0,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.registry = ModelRegistry(db)
        self.db = db
        self._fixed = classifier
        self._settings = serving_settings(settings)
        # The day's spend on a prompted model, shared by every process (SPORTBOT_COST_CAP_USD).
        self.ledger = SpendLedger(db, settings.training.cost_cap_usd)
        # Tells the admins (once a day, whichever process gets there first) that the cap
        # was reached; None: only the log says so.
        self._notify = notify
        # The bot only classifies: a local model loads as its scoring arrays, without
        # scikit-learn, which would cost every process its memory (``load_classifier``).
        # Same answers.
        self._loader = functools.partial(load_classifier, lean=True, ledger=self.ledger)
        self._active = ActiveClassifier(
            self.registry, self._settings, refresh_seconds=refresh_seconds, loader=self._loader
        )
        # The newest local model, kept loaded while an OpenAI model is active.
        self._fallback: tuple[str, TextClassifier] | None = None
        self._snapshot: tuple[str, TextClassifier] | None = None
        self._refresh_seconds = refresh_seconds
        self._refresher: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._first_load = threading.Event()
        self._stopped = threading.Event()
        # Set when the active OpenAI model answers model_not_found (OpenAI retired or
        # deleted it): said once in the log, and in every /sport status until promoted away.
        self.problem: str | None = None

    def current(self) -> tuple[str, TextClassifier]:
        """(backend, classifier); NoModelError when no model is active."""
        if self._fixed is not None:
            return getattr(self._fixed, "backend", Backend.local), self._fixed
        snapshot = self._snapshot
        if snapshot is not None:
            return snapshot
        if self._refresher is not None and not self._first_load.is_set():
            # Waiting for the load would miss Slack's 3 s: say so instead.
            raise ClassifyError("The model is still loading; try again in a few seconds.")
        return self._load()

    def classify(self, text: str) -> Answer:
        """The active model's answer; the local fallback's when the OpenAI model fails."""
        backend, classifier = self.current()
        try:
            return Answer(classifier.classify(text))
        except (OpenAIError, DailyCapError) as error:
            fallback = self._fallback if backend != Backend.local else None
            if fallback is None:
                raise
            if isinstance(error, DailyCapError):
                self._tell_cap_reached(error)
                note = (
                    "Today's OpenAI budget (SPORTBOT_COST_CAP_USD) is spent; this answer is "
                    f"from the local model `{fallback[0]}`."
                )
                return Answer(fallback[1].classify(text), note)
            self._note_gone(classifier, error, fallback[0])
            log.warning("OpenAI model failed, local model %s answered: %s", fallback[0], error)
            note = (
                f"The OpenAI model did not answer ({_reason(error)}); "
                f"this answer is from the local model `{fallback[0]}`."
            )
            return Answer(fallback[1].classify(text), note)

    def _tell_cap_reached(self, error: DailyCapError) -> None:
        """Once a day across every process: the log, and the admins when wired."""
        try:
            first = self.ledger.claim_warning()
        except DatabaseUnavailableError:
            return
        if not first:
            return
        log.warning("%s", error)
        if self._notify is not None:
            try:
                self._notify(f":moneybag: {error}")
            except Exception:  # telling must never stop the answer
                log.exception("Could not tell the admins that the daily cap was reached")

    def cost_line(self) -> str | None:
        """For /sport status: what the active prompted model costs, and today's spend."""
        info = self.active_info()
        if info is None or not info.metrics.get("cost"):
            return None
        from training.classifiers.prompt_cost import CostEstimate

        line = f"Classifying costs {CostEstimate.from_dict(info.metrics['cost']).line()}"
        cap = self.ledger.cap
        spent = self.ledger.spent_today()
        limit = f" of the ${cap:.2f} daily cap" if cap is not None else " (no daily cap)"
        return f"{line}; spent today ${spent:.2f}{limit} (identical texts come from a cache)."

    def _note_gone(self, classifier: TextClassifier, error: OpenAIError, local_id: str) -> None:
        if not (isinstance(error, OpenAINotFoundError) and error.code == "model_not_found"):
            return
        model_id = getattr(classifier, "model_id", "the active model")
        problem = (
            f":warning: The active OpenAI model `{model_id}` no longer exists at OpenAI "
            f"(model_not_found); the local model `{local_id}` answers. "
            "Promote another model (`sportbot promote ID`)."
        )
        if problem != self.problem:
            self.problem = problem
            log.error("%s", problem)

    def wait_loaded(self, timeout: float) -> bool:
        """Off the request path only: wait until the first load has been tried."""
        if self._fixed is not None or self._refresher is None:
            return True
        return self._first_load.wait(timeout)

    def start_refreshing(self) -> None:
        """Load the active model now and follow promotions, in a daemon thread (idempotent)."""
        if self._fixed is not None:
            return
        with self._start_lock:
            if self._refresher is None:
                self._refresher = threading.Thread(
                    target=self._refresh_forever, name="model-refresh", daemon=True
                )
                self._refresher.start()

    def _load(self) -> tuple[str, TextClassifier]:
        info, classifier = self._active.current()
        if info.backend != Backend.local:
            self._load_fallback()
        self._snapshot = (info.backend, classifier)
        return self._snapshot

    def _load_fallback(self) -> None:
        newest = next(
            (m for m in self.registry.list() if m.backend == Backend.local and m.artifact_path),
            None,
        )
        if newest is None or (self._fallback and self._fallback[0] == newest.id):
            return
        try:
            self._fallback = (newest.id, self._loader(newest, self._settings))
        except Exception:  # a broken artifact must not stop the OpenAI model serving
            log.exception("Could not load local model %s as the OpenAI fallback", newest.id)

    def stop(self) -> None:
        """Stop following the registry (the thread ends after its current look)."""
        self._stopped.set()

    def _refresh_forever(self) -> None:
        while not self._stopped.is_set():
            try:
                self._load()
            except NoModelError:
                pass  # none promoted yet: /sport says so; look again shortly
            except DatabaseUnavailableError as error:
                # An outage is not a bug: one line, and the loaded model keeps answering.
                log.warning("Cannot check the active model: %s", error)
            except Exception:
                log.exception("Could not load the active model; keeping the previous one")
            self._first_load.set()
            self._stopped.wait(self._refresh_seconds)

    def fallback_id(self) -> str | None:
        return self._fallback[0] if self._fallback else None

    def active_info(self) -> ModelInfo | None:
        return self.registry.active()

    def runs(self, limit: int = 10) -> list[RunInfo]:
        """The newest training runs, newest first."""
        return RunStore(self.db).list(limit=limit)


def serving_settings(settings: Settings) -> Settings:
    """``settings`` with the OpenAI client bounded for the request path (one short try)."""
    openai = dataclasses.replace(
        settings.openai,
        timeout=min(settings.openai.timeout, SERVING_OPENAI_TIMEOUT),
        max_retries=0,
    )
    return settings.with_changes(openai=openai)


def _reason(error: OpenAIError) -> str:
    name = type(error).__name__
    return {
        "OpenAITimeoutError": "timed out",
        "OpenAIRateLimitError": "rate-limited",
        "OpenAINotFoundError": "not found",
    }.get(name, "error")
