"""One retraining run end to end, for both backends.

collect → prepare → (cost guard) → launch → wait → results → evaluate →
register/promote → report. Every stage saves what it produced in the run's
row before the next one starts, and ``advance`` skips the stages whose
results are already there, so the same function starts a run and resumes one
a killed process left behind: files already uploaded are not uploaded again,
and a job is never created twice for one run (its id is saved right after
creation, and a crash in between is caught by looking the job up by the run
id in its metadata).

One run at a time across every process: the run row and the ``locks`` row are
created together (``RunStore.create_locked``); the lock is released when the
run ends. A run whose OpenAI job exists keeps the lock if the process dies or
the network gives out, so ``sportbot runs resume`` (or the scheduler at start)
picks it up again instead of a second job being launched.

The prompted backend (``openai-prompt``) builds an example bank where a
fine-tune launches a job (``training.prompt_stage``); the rest is the same.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from slack_sdk import WebClient

from training import openai_jobs, webhooks
from training import preparation as prep
from training import report as reporting
from training.classifiers import local, scoring
from training.classifiers.base import TextClassifier
from training.classifiers.loading import load_classifier
from training.classifiers.prompted import BACKEND as PROMPT_BACKEND
from training.collect import (
    Collected,
    collect,
    corrected_examples,
    sample_weights,
    write_weights,
)
from training.config import BACKENDS, DEFAULT_SEPARATOR, Settings
from training.data import Source
from training.errors import (
    CostCapError,
    JobFailedError,
    JobPausedError,
    ModelFileError,
    NoModelError,
    RunError,
)
from training.evaluate import comparison_set, evaluate
from training.states import Backend, ModelStatus, RunStatus
from training.storage.database import Database
from training.storage.registry import ModelInfo, ModelRegistry
from training.storage.runs import RunInfo, RunStore
from training.storage.schema import utcnow

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
Collector = Callable[[Database], Collected]


@dataclass(frozen=True)
class Decision:
    """Whether a candidate replaces the active model, and why."""

    promote: bool
    reason: str


def decide(
    candidate: dict[str, Any],
    active: dict[str, Any] | None,
    *,
    margin: float,
    force: bool,
    dropped: Sequence[str] = (),
    unmeasured: Sequence[str] = (),
) -> Decision:
    """Promote unless the candidate is worse than the active model by more than ``margin``.

    Accuracy alone is not enough: a candidate that cannot answer a label the active model
    answers (``dropped``) gives every such text another label, however well it scores on
    the rest; and a label no held-out example measures (``unmeasured``) is not compared at
    all. Both refuse the candidate unless ``force``.
    """
    if force:
        lost = f" (it lacks {_quoted(dropped)})" if dropped else ""
        return Decision(True, f"forced{lost}")
    if active is None:
        return Decision(True, "no active model to compare with")
    if dropped:
        return Decision(
            False,
            f"the candidate has no {_quoted(dropped)} label, which the active model "
            f"{active.get('model', '')} answers: such texts would get another label; "
            "`sportbot train --force` promotes it anyway",
        )
    if unmeasured:
        return Decision(
            False,
            f"no held-out example of {_quoted(unmeasured)} to compare the models on; "
            "`sportbot train --force` promotes it anyway",
        )
    new, old = candidate["accuracy"], active["accuracy"]
    n = candidate.get("n")
    on = f" on the same {n} held-out examples" if n else ""
    if new + margin >= old:
        return Decision(True, f"accuracy {new:.4f} vs active {old:.4f}{on} (margin {margin})")
    return Decision(
        False, f"accuracy {new:.4f} is below active {old:.4f}{on} by more than {margin}"
    )


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"'{label}'" for label in sorted(labels))


@dataclass(frozen=True)
class RunRequest:
    """What was asked for: which backend, which base model, by whom, how to wait."""

    backend: str = Backend.local
    base_model: str | None = None
    poll_interval: float | None = None
    force: bool = False
    wait: bool = True
    trigger: str = "cli"
    requested_by: str | None = None
    channel: str | None = None


@dataclass
class Outcome:
    """Where a run stands when ``start``/``resume`` return."""

    run: RunInfo
    model: ModelInfo | None = None
    report: dict[str, Any] | None = None
    folder: Path | None = None


@dataclass
class Context:
    """What every stage needs; built once per run (tests inject the edges)."""

    settings: Settings
    db: Database
    progress: Progress
    collector: Collector
    slack: WebClient | None = None
    openai_client: Any = None
    sleep: Callable[[float], None] = time.sleep
    force: bool = False
    wait: bool = True
    poll_interval: float = 30.0
    # Asked (with the cost estimate) before anything is uploaded; None: do not ask.
    confirm: Callable[[str], bool] | None = None
    lines: list[str] = field(default_factory=list)
    # A message the caller already posted (a retraining started from Slack): the next
    # run started here reports in it instead of posting a second one.
    adopt: reporting.SlackReport | None = None
    _report: reporting.SlackReport | None = None

    @property
    def runs(self) -> RunStore:
        return RunStore(self.db)

    def say(self, *lines: str) -> None:
        """Progress lines: to the terminal/caller, and ONE update of the run's Slack message
        (a burst of job events is one chat.update, not one per event: Slack rate-limits)."""
        if not lines:
            return
        for line in lines:
            self.progress(line)
        self.lines.extend(lines)
        if self._report is not None:
            self._report.add(*lines)

    def client(self) -> Any:
        if self.openai_client is None:
            from training.classifiers.openai_model import build_client

            self.openai_client = build_client(self.settings.openai)
        return self.openai_client


def default_collector(settings: Settings, data: Path | None = None) -> Collector:
    """Collect from the 20 Newsgroups archive (``data``, SPORTBOT_20NEWS or sklearn) + Slack."""
    source = Source(data or settings.twenty_news, settings.cache_dir)
    return lambda db: collect(source, db, teaching=settings.teaching)


def context(
    settings: Settings,
    db: Database,
    *,
    progress: Progress | None = None,
    collector: Collector | None = None,
    slack: WebClient | None = None,
    openai_client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    force: bool = False,
    wait: bool = True,
    poll_interval: float | None = None,
    confirm: Callable[[str], bool] | None = None,
    report: reporting.SlackReport | None = None,
) -> Context:
    """A Context with the real edges unless given (Slack client from the settings);
    ``report``: a Slack message already posted, which the run takes over."""
    return Context(
        settings=settings,
        db=db,
        progress=progress or (lambda message: log.info(message)),
        collector=collector or default_collector(settings),
        slack=slack if slack is not None else reporting.slack_client(settings),
        openai_client=openai_client,
        sleep=sleep,
        force=force,
        wait=wait,
        poll_interval=(settings.training.poll_interval if poll_interval is None else poll_interval),
        confirm=confirm,
        adopt=report,
    )


# ---------------------------------------------------------------- entry points


def start(
    ctx: Context,
    request: RunRequest,
    *,
    train_file: Path | None = None,
    valid_file: Path | None = None,
) -> Outcome:
    """Start a run (refused with RunInProgressError while another one holds the lock)."""
    if request.backend not in BACKENDS:
        raise RunError(f"Unknown backend {request.backend!r}: use one of {', '.join(BACKENDS)}.")
    run = ctx.runs.create_locked(
        backend=request.backend,
        base_model=_base_model(ctx.settings, request),
        trigger=request.trigger,
        requested_by=request.requested_by,
        channel=request.channel,
    )
    if train_file is not None:  # prepared files given: no collecting
        run = ctx.runs.update(
            run.id,
            train_path=str(train_file),
            valid_path=str(valid_file) if valid_file else str(train_file),
        )
    return advance(ctx, run)


def resume(ctx: Context, run_id: int | None = None) -> list[Outcome]:
    """Take up unfinished runs (or the one named): OpenAI jobs are polled, not relaunched."""
    runs = ctx.runs.unfinished()
    if run_id is not None:
        runs = [run for run in runs if run.id == run_id]
    outcomes = []
    for run in runs:
        if run.status == openai_jobs.PAUSED and not take_up_paused(ctx, run):
            outcomes.append(Outcome(run=run))
            continue
        ctx.say(f"Resuming run {run.id} ({run.status}, job {run.job_id or 'not created'})…")
        outcomes.append(advance(ctx, run))
    return outcomes


def take_up_paused(ctx: Context, run: RunInfo) -> bool:
    """True when a run that stopped waiting for its paused job can go on: the job runs
    again (or has ended) and the lock is taken again. A still-paused job is only said."""
    job = openai_jobs.retrieve(ctx.client(), run.job_id, sleep=ctx.sleep)
    if job.status == openai_jobs.PAUSED:
        ctx.say(
            f"Run {run.id}: job {run.job_id} is still paused. Resume it at OpenAI, "
            f"then `sportbot runs resume {run.id}`; or `sportbot runs cancel {run.id}`."
        )
        return False
    ctx.runs.relock(run.id)
    ctx.runs.update(run.id, error=None, finished_at=None)  # it is under way again
    return True


def cancel(ctx: Context, run_id: int) -> RunInfo:
    """Cancel a run and its OpenAI job; the lock is released, the active model stays."""
    run = ctx.runs.get(run_id)
    if run is None:
        raise RunError(f"No training run {run_id} (see `sportbot runs`).")
    if run.finished:
        raise RunError(f"Run {run_id} has already {run.status}.")
    if run.job_id:
        openai_jobs.cancel(ctx.client(), run.job_id)
    run = ctx.runs.finish(run_id, status=RunStatus.cancelled, error="cancelled by request")
    ctx.runs.release(run_id)
    _attach_slack(ctx, run)
    _report_end(ctx, run, RunStatus.cancelled, "cancelled by request")
    return run


# ---------------------------------------------------------------- the stages


def advance(ctx: Context, run: RunInfo) -> Outcome:
    """Carry ``run`` from wherever it stands to its end (or to a launched job with no-wait)."""
    started = time.monotonic()
    _attach_slack(ctx, run)
    try:
        if not run.valid_path:
            run = prepare_stage(ctx, run)
        if run.backend == Backend.local:
            candidate, job = fit_local(ctx, run), None
        elif run.backend == PROMPT_BACKEND:
            from training.prompt_stage import prompted_candidate

            candidate, job = prompted_candidate(ctx, run), None
        else:
            if run.estimated_tokens is None:
                run = estimate_stage(ctx, run)
            run = launch_openai(ctx, run)
            if not ctx.wait:
                ctx.say(f"Job {run.job_id} launched; `sportbot runs resume` waits for it.")
                return Outcome(run=run, folder=run_folder(ctx, run))
            job = wait_for_job(ctx, run)
            run = ctx.runs.update(
                run.id, status=RunStatus.evaluating, trained_tokens=job.trained_tokens
            )
            save_results(ctx, run, job)
            candidate = openai_candidate(ctx, run, job)
        return judge_and_finish(ctx, run, candidate, job, time.monotonic() - started)
    except BaseException as error:
        _fail(ctx, run.id, error)
        raise


def prepare_stage(ctx: Context, run: RunInfo) -> RunInfo:
    """Collect and prepare (default mode, every recommendation accepted) into the run folder."""
    ctx.say("Collecting the labelled examples…")
    run = ctx.runs.update(run.id, status=RunStatus.preparing)
    collected = ctx.collector(ctx.db)
    # Only a fine-tune is prepared for its base model; the other backends share the
    # local model's files, so every backend is judged on the same held-out examples.
    model = run.base_model if run.backend == Backend.openai else "babbage-002"
    prepared = prep.prepare(collected.frame, model=model)
    prepared = prep.with_training_only(prepared, collected.training_only())
    folder = run_folder(ctx, run)
    train_path, valid_path = prep.write_prepared(prepared, folder / "examples.jsonl")
    write_weights(folder, collected.corrections)
    return ctx.runs.update(
        run.id,
        train_path=str(train_path),
        valid_path=str(valid_path or train_path),
        examples_upto=collected.examples_upto,
    )


def estimate_stage(ctx: Context, run: RunInfo) -> RunInfo:
    """Trained tokens (file tokens x epochs) and cost, shown and checked before any upload."""
    epochs = ctx.settings.training.epochs
    tokens = file_tokens(Path(run.train_path), run.base_model) * epochs
    cost = prep.estimate_cost(tokens, 1, run.base_model, ctx.settings.training.prices)
    shown = f"${cost:.2f}" if cost is not None else "unknown (no price configured)"
    ctx.say(f"Estimated {tokens} trained tokens ({epochs} epochs), cost {shown}.")
    run = ctx.runs.update(run.id, estimated_tokens=tokens, estimated_cost=cost)
    check_cost(cost, ctx.settings.training.cost_cap_usd)
    if ctx.confirm is not None and not ctx.confirm(f"Fine-tune {run.base_model} for {shown}?"):
        decline(ctx, run, "declined before upload", "nothing was uploaded and nothing spent")
    return run


def decline(ctx: Context, run: RunInfo, error: str, said: str) -> None:
    """End a run the person declined at the cost question (RunError saying what was not done)."""
    ctx.runs.finish(run.id, status=RunStatus.cancelled, error=error)
    ctx.runs.release(run.id)
    raise RunError(f"Not started: {said}.")


def file_tokens(path: Path, model: str) -> int:
    """Tokens of a prepared JSONL file as OpenAI bills them per epoch (as prepare counts)."""
    from training.preparation.tokens import counter_for

    counter = counter_for(model)
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "messages" in row:
            total += sum(counter.count(m["content"]) + 4 for m in row["messages"]) + 3
        else:
            total += counter.count(row["prompt"]) + counter.count(row["completion"])
    return total


def check_cost(cost: float | None, cap: float | None) -> None:
    """CostCapError when the estimate is above the cap (checked before any upload)."""
    if cap is not None and cost is not None and cost > cap:
        raise CostCapError(
            f"Estimated cost ${cost:.2f} is above the cap ${cap:.2f} (SPORTBOT_COST_CAP_USD)."
        )


def launch_openai(ctx: Context, run: RunInfo) -> RunInfo:
    """Upload the files and create the job, saving each id as soon as it exists."""
    client = ctx.client()
    if not run.train_file_id:
        ctx.say("Uploading the training file…")
        run = ctx.runs.update(
            run.id,
            status=RunStatus.uploading,
            train_file_id=openai_jobs.upload(client, Path(run.train_path)),
        )
    if not run.valid_file_id and run.valid_path and run.valid_path != run.train_path:
        ctx.say("Uploading the validation file…")
        run = ctx.runs.update(
            run.id, valid_file_id=openai_jobs.upload(client, Path(run.valid_path))
        )
    if run.job_id:
        return run
    # A crash between create and save would otherwise launch a second, paid job.
    key = run.run_key or run.id
    job = openai_jobs.find_job(client, key, training_file=run.train_file_id, sleep=ctx.sleep)
    if job is None:
        job = openai_jobs.create_job(
            client,
            run_id=run.id,
            run_key=run.run_key,
            model=run.base_model,
            training_file=run.train_file_id,
            validation_file=run.valid_file_id,
            epochs=ctx.settings.training.epochs,
        )
    run = ctx.runs.update(run.id, job_id=job.id, status=job.status)
    ctx.say(f"Fine-tuning job {job.id} created on {run.base_model} ({job.status}).")
    return run


def wait_for_job(ctx: Context, run: RunInfo) -> Any:
    """Poll until the job ends; JobFailedError (OpenAI's message) when it failed/was cancelled."""
    status = {"last": run.status}

    def on_update(job: Any, events: list[Any]) -> None:
        lines = [f"{job.id}: {event.message}" for event in events]
        if job.status != status["last"]:
            status["last"] = job.status
            if job.status not in openai_jobs.TERMINAL:  # the end is recorded by finish()
                ctx.runs.update(run.id, status=job.status)
            lines.append(f"Job {job.id} is {job.status}.")
            if job.status == openai_jobs.PAUSED:
                lines.append(f"Waiting for it to resume (`sportbot runs cancel {run.id}` stops).")
        ctx.say(*lines)

    limit = ctx.settings.training.paused_limit_seconds
    job = openai_jobs.poll(
        ctx.client(),
        run.job_id,
        interval=ctx.poll_interval,
        on_update=on_update,
        sleep=ctx.sleep,
        wait=webhooks.waiter(ctx.db, run.job_id, sleep=ctx.sleep),
        paused_limit=limit,
    )
    if job.status == openai_jobs.PAUSED:
        error = JobPausedError(
            f"Job {job.id} stayed paused for {limit:g} s (SPORTBOT_PAUSED_LIMIT_SECONDS): "
            f"the run stopped waiting and released the lock. Resume the job at OpenAI, then "
            f"`sportbot runs resume {run.id}`; or `sportbot runs cancel {run.id}`."
        )
        error.status = openai_jobs.PAUSED
        raise error
    if job.status != "succeeded":
        error = JobFailedError(openai_jobs.failure_message(job))
        error.status = job.status  # "failed" or "cancelled": the run ends the same way
        raise error
    return job


def save_results(ctx: Context, run: RunInfo, job: Any) -> Path | None:
    """Keep the job's result CSV (decoded) in the run folder."""
    text = openai_jobs.download_results(ctx.client(), job, sleep=ctx.sleep)
    if not text:
        return None
    path = run_folder(ctx, run) / "results.csv"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Candidate:
    """A trained model ready to be judged: its classifier and its registry fields."""

    classifier: TextClassifier
    fields: dict[str, Any]
    artifact: Callable[[], dict[str, Any]] = lambda: {}
    # Recorded with the candidate's metrics (a prompted model's cost estimate).
    extra_metrics: dict[str, Any] = field(default_factory=dict)


def fit_local(ctx: Context, run: RunInfo) -> Candidate:
    """Train the embedded model in-process from the same prepared files."""
    ctx.runs.update(run.id, status=RunStatus.training)
    train = prep.read_prepared(Path(run.train_path))
    ctx.say(f"Training the local model on {len(train)} examples…")
    texts, labels = train["text"].tolist(), train["label"].tolist()
    weights = sample_weights(Path(run.train_path).parent, texts, labels)
    model = local.LocalModel().fit(texts, labels, sample_weight=weights)

    def artifact() -> dict[str, Any]:  # written only when the model is new
        path = local.save(model, ctx.settings.models_dir)
        return {
            "artifact_path": str(path),
            "artifact_sha256": local.file_sha256(path),
            "scorer_sha256": local.file_sha256(scoring.scorer_path(path)),
        }

    fields = {
        "id": model.model_id,
        "backend": Backend.local,
        "labels": [str(label) for label in model.classes_],
        "base_model": Backend.local,
        "prompt_format": "completion",
        "data_sha256": model.metadata_["data_sha256"],
    }
    return Candidate(model, fields, artifact)


def add_scorer(registry: ModelRegistry, info: ModelInfo, model: Any) -> ModelInfo:
    """Give an entry saved before scoring arrays existed its ``.scorer.npz``, from this
    fit of the same data (same id), so the Slack app's processes load it without
    scikit-learn (``load_classifier(lean=True)``)."""
    path = scoring.scorer_path(info.artifact_path)
    return registry.set_scorer(info.id, scoring.save(model.scorer(), path))


def openai_candidate(ctx: Context, run: RunInfo, job: Any) -> Candidate:
    """The fine-tuned model as a classifier, with the labels and separator it learned."""
    from training.classifiers.openai_model import OpenAIModel

    train = prep.read_prepared(Path(run.train_path))
    labels = sorted(set(train["label"]))
    fmt = prep.format_for(run.base_model)
    first_row = _first_row(Path(run.train_path))
    separator = DEFAULT_SEPARATOR
    system_message = None
    if fmt == "completion":
        separator = prep.separator_of(first_row.get("prompt", "")) or DEFAULT_SEPARATOR
    else:
        system_message = prep.system_message_of(first_row)
    classifier = OpenAIModel(
        job.fine_tuned_model,
        settings=ctx.settings.openai,
        labels=labels,
        separator=separator,
        client=ctx.client(),
        **({"system_message": system_message} if system_message else {}),
    )
    fields = {
        "id": job.fine_tuned_model,
        "backend": Backend.openai,
        "labels": labels,
        "base_model": run.base_model,
        "prompt_format": fmt,
        "separator": separator,
        "system_message": system_message,
    }
    return Candidate(classifier, fields)


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
        duration_s=_job_duration(job) if job is not None else duration,
        candidate=metrics,
        active=active,
        promoted=promoted,
        reason=decision.reason,
        corrections=corrections,
    )
    publish(ctx, run, report)
    return Outcome(run=run, model=info, report=report, folder=run_folder(ctx, run))


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


def publish(ctx: Context, run: RunInfo, report: dict[str, Any]) -> list[Path]:
    """JSON report and charts in the run folder; the final Slack message and uploads."""
    folder = run_folder(ctx, run)
    reporting.write_json(report, folder)
    charts = []
    results = folder / "results.csv"
    if results.exists():
        rows = openai_jobs.parse_results(results.read_text(encoding="utf-8"))
        charts.append(reporting.training_curve(rows, folder / "training_curve.png"))
    charts.append(reporting.confusion_chart(report.get("candidate"), folder / "confusion.png"))
    charts = [path for path in charts if path is not None]
    lines = reporting.summary_lines(report)
    for line in lines:
        ctx.progress(line)
    if ctx._report is not None:
        ctx._report.finish("\n".join(lines), reporting.blocks(report))
        ctx._report.upload(charts)
    return charts


# ---------------------------------------------------------------- helpers


def _base_model(settings: Settings, request: RunRequest) -> str:
    if request.backend == Backend.local:
        return Backend.local
    if request.backend == PROMPT_BACKEND:
        return request.base_model or settings.prompt.model
    return request.base_model or settings.training.base_model


def run_folder(ctx: Context, run: RunInfo) -> Path:
    folder = ctx.settings.runs_dir / str(run.id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _attach_slack(ctx: Context, run: RunInfo) -> None:
    """The run's Slack message: the one the caller posted, or the run's own (reused after
    a restart through the saved ts)."""
    if ctx.adopt is not None and run.slack_ts is None:
        ctx._report, ctx.adopt = ctx.adopt, None
        if ctx._report.ts is not None:
            ctx.runs.update(run.id, slack_ts=ctx._report.ts, channel=ctx._report.channel)
        return
    channel = run.channel or ctx.settings.slack.report_channel
    if ctx.slack is None or not channel:
        if ctx.slack is not None:
            log.info(
                "No channel for run %s (SPORTBOT_REPORT_CHANNEL unset): no Slack report.", run.id
            )
        return
    ctx._report = reporting.SlackReport(ctx.slack, channel, run.slack_ts)
    if run.slack_ts is None:
        ctx._report.title = f"Retraining run {run.id} ({run.backend}, {run.base_model})"
        ts = ctx._report.start()
        if ts is not None:
            ctx.runs.update(run.id, slack_ts=ts, channel=ctx._report.channel)


def _fail(ctx: Context, run_id: int, error: BaseException) -> None:
    """Record a failure; a run whose job exists stays resumable unless the job itself failed."""
    run = ctx.runs.get(run_id)
    if run is None or run.finished:
        return
    if run.job_id and not isinstance(error, JobFailedError):
        log.warning(
            "Run %s stopped while its job %s goes on (%s): `sportbot runs resume` continues it.",
            run_id,
            run.job_id,
            error,
        )
        return
    message = str(error) or type(error).__name__
    status = (
        getattr(error, "status", RunStatus.failed)
        if isinstance(error, JobFailedError)
        else RunStatus.failed
    )
    run = ctx.runs.finish(run_id, status=status, error=message)
    ctx.runs.release(run_id)
    _report_end(ctx, run, status, message)


def _report_end(ctx: Context, run: RunInfo, status: str, message: str) -> None:
    """The final report of a run that ended without a model (failed or cancelled)."""
    report = reporting.build(
        run_id=run.id,
        backend=run.backend,
        base_model=run.base_model,
        status=status,
        job_id=run.job_id,
        error=message,
        duration_s=_elapsed(run),
    )
    try:
        publish(ctx, run, report)
    except Exception:  # the original error matters more than a failed report
        log.exception("Could not report the end of run %s", run.id)


def _first_row(train_path: Path) -> dict:
    """The first example of a prepared training file: what the model learned from."""
    with open(train_path, encoding="utf-8") as handle:
        return json.loads(handle.readline())


def _job_duration(job: Any) -> float | None:
    if job.finished_at and job.created_at:
        return float(job.finished_at - job.created_at)
    return None


def _elapsed(run: RunInfo) -> float | None:
    created = run.created_at
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (utcnow() - created).total_seconds()


__all__ = [
    "Context",
    "Decision",
    "Outcome",
    "RunRequest",
    "advance",
    "cancel",
    "context",
    "decide",
    "resume",
    "start",
]
