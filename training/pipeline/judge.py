"""Stage: judge a candidate against the active model, register it, maybe promote it.

Both models are evaluated on the same held-out examples (``held_out``) and on
the corrected messages the run trained on; ``training.pipeline.promotion``
decides; the run ends with its report. Imports ``training`` only, never ``bot/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training import preparation as prep
from training.classifiers.base import TextClassifier
from training.classifiers.loading import load_classifier
from training.config import Settings
from training.errors import ModelFileError, NoModelError
from training.pipeline import report as reporting
from training.pipeline.collect import corrected_examples
from training.pipeline.context import Candidate, Context, Outcome
from training.pipeline.evaluate import comparison_set, evaluate
from training.pipeline.fine_tune import job_duration
from training.pipeline.promotion import decide
from training.pipeline.train import add_scorer
from training.states import Backend, ModelStatus, RunStatus
from training.storage.registry import ModelInfo, ModelRegistry
from training.storage.runs import RunInfo

log = logging.getLogger(__name__)


def judge_and_finish(
    ctx: Context, run: RunInfo, candidate: Candidate, job: Any, duration: float
) -> Outcome:
    """Evaluate candidate and active model on the same examples; register, maybe promote."""
    registry = ModelRegistry(ctx.db)
    current = registry.active()
    valid = held_out(ctx, run, current)
    ctx.say(f"Evaluating on {len(valid)} held-out examples…")
    metrics = evaluate(candidate.classifier, valid["text"].tolist(), valid["label"].tolist())
    metrics |= candidate.extra_metrics
    active_classifier = load_active(ctx.settings, current)
    active = active_metrics(current, active_classifier, valid)
    corrections = corrections_before_after(run, candidate, active_classifier)
    known = set(current.labels) if current is not None and active is not None else set()
    decision = decide(
        metrics,
        active,
        margin=ctx.settings.training.promotion_margin,
        force=ctx.force,
        dropped=sorted(known - set(candidate.fields["labels"])),
        unmeasured=sorted(known - set(valid["label"])),
    )
    info = registry.get(candidate.fields["id"])
    if info is None:
        info = registry.register(
            **candidate.fields,
            **candidate.artifact(),
            metrics={**metrics, "active": active},
            run_id=run.id,
        )
    elif info.run_id != run.id:  # the local model, trained on the very same data before
        ctx.say(f"{info.id} was registered before (same data); keeping that entry.")
        if info.backend == Backend.local and info.artifact_path and not info.scorer_sha256:
            info = add_scorer(registry, info, candidate.classifier)
    if info.run_id == run.id and info.status == ModelStatus.candidate:
        # Also reached on resume after a crash between register and promote.
        ctx.say(f"Promotion: {'yes' if decision.promote else 'no'} ({decision.reason}).")
        if decision.promote:
            info = registry.promote(info.id)
    promoted = info.status == ModelStatus.active
    run = ctx.runs.finish(
        run.id,
        status=RunStatus.succeeded,
        model_id=info.id,
        candidate_metrics=metrics,
        active_metrics=active,
        promoted=promoted,
    )
    ctx.runs.release(run.id)
    report = reporting.build(
        run_id=run.id,
        backend=run.backend,
        base_model=run.base_model,
        status=run.status,
        job_id=run.job_id,
        model_id=info.id,
        trained_tokens=run.trained_tokens,
        duration_s=job_duration(job) if job is not None else duration,
        candidate=metrics,
        active=active,
        promoted=promoted,
        reason=decision.reason,
        corrections=corrections,
    )
    reporting.publish(ctx, run, report)
    return Outcome(run=run, model=info, report=report, folder=ctx.folder(run))


def held_out(ctx: Context, run: RunInfo, active: ModelInfo | None) -> pd.DataFrame:
    """The examples both models are judged on: the run's validation file, plus the active
    model's own validation examples (from its run) so every label it has is measured."""
    own = prep.read_prepared(Path(run.valid_path))
    others = []
    source = ctx.runs.get(active.run_id) if active is not None and active.run_id else None
    if (
        source is not None
        and source.id != run.id
        and source.valid_path
        and source.valid_path != source.train_path
        and Path(source.valid_path).is_file()
    ):
        others.append(prep.read_prepared(Path(source.valid_path)))
    trained_on: list[str] = []
    if others and run.train_path and run.train_path != run.valid_path:
        trained_on = prep.read_prepared(Path(run.train_path))["text"].tolist()
    return comparison_set(own, others, trained_on=trained_on)


def corrections_before_after(
    run: RunInfo, candidate: Candidate, active: TextClassifier | None
) -> dict[str, Any] | None:
    """Accuracy on the corrected messages the run trained on: the active model's
    (before) and the candidate's (after); None when the run had no corrections."""
    corrected = corrected_examples(Path(run.train_path).parent)
    if corrected.empty:
        return None
    texts, labels = corrected["text"].tolist(), corrected["label"].to_numpy()
    before = None
    if active is not None:
        before = float(np.mean(np.asarray(active.predict(texts)) == labels))
    after = float(np.mean(np.asarray(candidate.classifier.predict(texts)) == labels))
    return {"n": len(texts), "before": before, "after": after}


def load_active(settings: Settings, active: ModelInfo | None) -> TextClassifier | None:
    """The active model, loaded once per run to be judged against; None without one
    (or when its files are gone: the candidate is then judged alone)."""
    if active is None:
        return None
    try:
        return load_classifier(active, settings)
    except (ModelFileError, NoModelError) as error:
        log.warning("Cannot load the active model %s to compare: %s", active.id, error)
        return None


def active_metrics(
    active: ModelInfo | None, classifier: TextClassifier | None, valid: pd.DataFrame
) -> dict[str, Any] | None:
    """The active model's metrics on the same held-out examples, or None without one."""
    if active is None or classifier is None:
        return None
    metrics = evaluate(classifier, valid["text"].tolist(), valid["label"].tolist())
    return {**metrics, "model": active.id}
