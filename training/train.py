"""Entry points of a training run: ``train_local`` (what the Slack app calls) and ``train``.

The stages live in ``training.pipeline``; both backends go through it, so the
local model is prepared, evaluated, promoted and reported exactly like an
OpenAI fine-tune. ``train_local`` keeps the signature the Slack app relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from training import pipeline
from training import preparation as prep
from training.classifiers.local import LocalModel
from training.collect import collect
from training.config import Settings
from training.data import Source
from training.errors import NoModelError
from training.pipeline import Collector, Decision, Outcome, Progress, RunRequest, decide
from training.report import SlackReport
from training.states import Backend
from training.storage.database import Database
from training.storage.registry import ModelInfo

__all__ = ["Decision", "decide", "fit_local_offline", "train", "train_configured", "train_local"]


def train_local(
    settings: Settings,
    db: Database,
    *,
    trigger: str = "cli",
    requested_by: str | None = None,
    channel: str | None = None,
    progress: Progress | None = None,
    data: Path | None = None,
    train_file: Path | None = None,
    valid_file: Path | None = None,
    force: bool = False,
    report: SlackReport | None = None,
) -> ModelInfo:
    """Train, evaluate, register and (when it earns it) promote a local model.

    ``report``: a Slack message already posted (the Slack app's "Retraining started"):
    the run's progress and report go into it, not into a second message."""
    outcome = train(
        settings,
        db,
        RunRequest(
            backend=Backend.local,
            force=force,
            trigger=trigger,
            requested_by=requested_by,
            channel=channel,
        ),
        progress=progress,
        data=data,
        train_file=train_file,
        valid_file=valid_file,
        report=report,
    )
    if outcome.model is None:  # pragma: no cover - a local run always ends with a model
        raise NoModelError(f"Run {outcome.run.id} produced no model.")
    return outcome.model


def train_configured(
    settings: Settings,
    db: Database,
    *,
    trigger: str = "slack",
    requested_by: str | None = None,
    channel: str | None = None,
    progress: Progress | None = None,
    report: SlackReport | None = None,
    collector: Collector | None = None,
) -> ModelInfo | None:
    """What `/sport retrain` runs: the SPORTBOT_BACKEND backend (the local model when
    unset), unattended (no question; SPORTBOT_COST_CAP_USD caps what it may cost).
    The registry entry of the run's model (None when an OpenAI job is still running)."""
    request = RunRequest(
        backend=settings.training.backend or Backend.local,
        trigger=trigger,
        requested_by=requested_by,
        channel=channel,
    )
    outcome = train(settings, db, request, progress=progress, report=report, collector=collector)
    return outcome.model


def train(
    settings: Settings,
    db: Database,
    request: RunRequest,
    *,
    progress: Progress | None = None,
    data: Path | None = None,
    collector: Collector | None = None,
    train_file: Path | None = None,
    valid_file: Path | None = None,
    slack: WebClient | None = None,
    openai_client: Any = None,
    confirm: Callable[[str], bool] | None = None,
    report: SlackReport | None = None,
) -> Outcome:
    """One run of either backend, from collecting to the report.

    ``confirm(question)`` is asked with the cost estimate before an upload (the CLI on a
    terminal); a False answer ends the run as cancelled with nothing spent.
    """
    ctx = pipeline.context(
        settings,
        db,
        progress=progress,
        collector=collector or pipeline.default_collector(settings, data),
        slack=slack,
        openai_client=openai_client,
        force=request.force,
        wait=request.wait,
        poll_interval=request.poll_interval,
        confirm=confirm,
        report=report,
    )
    return pipeline.start(ctx, request, train_file=train_file, valid_file=valid_file)


def fit_local_offline(source: Source, folder: Path) -> LocalModel:
    """The local model ``sportbot train`` would fit, without a database or a run record.

    Same stages (collect, prepare in default mode, seed lines added to the training
    set, fit on the written train file): what the quality benchmark and tests measure.
    """
    collected = collect(source)
    prepared = prep.with_training_only(
        prep.prepare(collected.frame, model="babbage-002"), collected.seed
    )
    train_path, _ = prep.write_prepared(prepared, folder / "examples.jsonl")
    examples = prep.read_prepared(train_path)
    return LocalModel().fit(examples["text"].tolist(), examples["label"].tolist())
