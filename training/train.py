"""Stage: train the embedded local model from prepared files, register it, maybe promote it.

The local model learns from the same prepared JSONL files an OpenAI fine-tune
would upload (``collect`` -> ``prepare`` -> ``read_prepared``), so both
backends see the same data. A run is recorded in the ``runs`` table as it
advances. The first model becomes active; later ones only when they are not
worse than the active model by more than the configured margin on the same
validation examples (or when forced).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from training import prepare as prep
from training.classifiers import local
from training.collect import collect
from training.config import Settings
from training.data import Source
from training.db import Database
from training.errors import ModelFileError, NoModelError
from training.evaluate import evaluate
from training.registry import ModelInfo, ModelRegistry, load_classifier
from training.runs import RunStore

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Decision:
    """Whether a candidate replaces the active model, and why."""

    promote: bool
    reason: str


def decide(
    candidate: dict[str, Any], active: dict[str, Any] | None, *, margin: float, force: bool
) -> Decision:
    """Promote unless the candidate is worse than the active model by more than ``margin``."""
    if force:
        return Decision(True, "forced")
    if active is None:
        return Decision(True, "no active model to compare with")
    new, old = candidate["accuracy"], active["accuracy"]
    if new + margin >= old:
        return Decision(True, f"accuracy {new:.4f} vs active {old:.4f} (margin {margin})")
    return Decision(False, f"accuracy {new:.4f} is below active {old:.4f} by more than {margin}")


def source_of(settings: Settings, data: Path | None = None) -> Source:
    """Where the 20 Newsgroups posts come from: ``data``, SPORTBOT_20NEWS, or sklearn."""
    path = data or settings.twenty_news
    return Source(path, settings.cache_dir)


def prepare_run_files(
    settings: Settings, db: Database | None, folder: Path, *, model: str, source: Source
) -> tuple[Path, Path, int]:
    """Collect and prepare (default mode, every recommendation accepted) into ``folder``."""
    collected = collect(source, db)
    prepared = prep.prepare(collected.frame, model=model)
    train_path, valid_path = prep.write_prepared(prepared, folder / "examples.jsonl")
    if valid_path is None:  # pragma: no cover - classification data is always split
        raise NoModelError("The prepared data has no validation split.")
    return train_path, valid_path, collected.examples_upto


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
) -> ModelInfo:
    """Train, evaluate, register and (when it earns it) promote a local model."""
    say = progress or (lambda message: log.info(message))
    runs = RunStore(db)
    run = runs.create(
        backend="local",
        base_model="local",
        trigger=trigger,
        requested_by=requested_by,
        channel=channel,
    )
    started = time.monotonic()
    try:
        folder = settings.runs_dir / str(run.id)
        if train_file is None:
            say("Collecting and preparing the training data…")
            source = source_of(settings, data)
            train_file, valid_file, upto = prepare_run_files(
                settings, db, folder, model="babbage-002", source=source
            )
            runs.update(run.id, examples_upto=upto)
        runs.update(
            run.id, status="training", train_path=str(train_file), valid_path=str(valid_file)
        )
        train = prep.read_prepared(train_file)
        valid = prep.read_prepared(valid_file) if valid_file else train
        say(f"Training the local model on {len(train)} examples…")
        model = local.LocalModel().fit(train["text"].tolist(), train["label"].tolist())
        say(f"Evaluating on {len(valid)} validation examples…")
        info = _register(settings, db, model, valid, run.id, force=force, say=say)
        runs.finish(
            run.id,
            status="succeeded",
            model_id=info.id,
            candidate_metrics=info.metrics,
            active_metrics=info.metrics.get("active"),
            promoted=info.status == "active",
        )
        say(f"Done in {time.monotonic() - started:.0f} s: {info.id} is {info.status}.")
        return info
    except BaseException as error:
        runs.finish(run.id, status="failed", error=str(error) or type(error).__name__)
        raise


def _register(
    settings: Settings,
    db: Database,
    model: local.LocalModel,
    valid: pd.DataFrame,
    run_id: int,
    *,
    force: bool,
    say: Progress,
) -> ModelInfo:
    registry = ModelRegistry(db)
    metrics = evaluate(model, valid["text"].tolist(), valid["label"].tolist())
    active_metrics = _active_metrics(settings, registry, valid)
    existing = registry.get(model.model_id)
    if existing is not None:  # same data, same model: nothing new to register
        say(f"{model.model_id} was trained on the same data before; keeping the registered one.")
        return existing
    path = local.save(model, settings.models_dir)
    info = registry.register(
        id=model.model_id,
        backend="local",
        labels=[str(label) for label in model.classes_],
        base_model="local",
        prompt_format="completion",
        artifact_path=str(path),
        artifact_sha256=local.file_sha256(path),
        data_sha256=model.metadata_["data_sha256"],
        metrics={**metrics, "active": active_metrics},
        run_id=run_id,
    )
    decision = decide(
        metrics, active_metrics, margin=settings.training.promotion_margin, force=force
    )
    say(f"Promotion: {'yes' if decision.promote else 'no'} ({decision.reason}).")
    return registry.promote(info.id) if decision.promote else info


def _active_metrics(
    settings: Settings, registry: ModelRegistry, valid: pd.DataFrame
) -> dict[str, Any] | None:
    """The active model's metrics on the same validation examples, or None without one."""
    active = registry.active()
    if active is None:
        return None
    try:
        classifier = load_classifier(active, settings)
    except (ModelFileError, NoModelError) as error:
        log.warning("Cannot load the active model %s to compare: %s", active.id, error)
        return None
    metrics = evaluate(classifier, valid["text"].tolist(), valid["label"].tolist())
    return {**metrics, "model": active.id}
