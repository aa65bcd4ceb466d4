"""The entry points of a training run: what the CLI, the Slack app and the clock call.

``train`` runs one run of any backend from collecting to the report;
``train_local`` and ``train_configured`` keep the signatures the Slack app and
the CLI rely on (``/sport retrain`` runs ``train_configured``). ``start``,
``resume`` and ``cancel`` work on a ``Context`` (``training.pipeline.context``):
one run at a time across every process, because the run row and the ``locks``
row are created together (``RunStore.create_locked``) and the lock is released
when the run ends. A run whose OpenAI job exists keeps the lock if the process
dies or the network gives out, so ``sportbot runs resume`` (or the scheduler at
start) picks it up again instead of a second job being launched; a job is never
created twice for one run (its id is saved right after creation, and a crash in
between is caught by looking the job up by the run id in its metadata). Imports
``training`` only, never ``bot/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from training.classifiers.prompted import BACKEND as PROMPT_BACKEND
from training.config import BACKENDS, Settings
from training.errors import NoModelError, RunError
from training.openai_api import jobs as openai_jobs
from training.pipeline.context import (
    Collector,
    Context,
    Outcome,
    Progress,
    RunRequest,
    context,
    default_collector,
)
from training.pipeline.stages import advance, attach_slack, report_end
from training.slack.message import SlackReport
from training.states import Backend, RunStatus
from training.storage.database import Database
from training.storage.registry import ModelInfo
from training.storage.runs import RunInfo


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
    ctx = context(
        settings,
        db,
        progress=progress,
        collector=collector or default_collector(settings, data),
        slack=slack,
        openai_client=openai_client,
        force=request.force,
        wait=request.wait,
        poll_interval=request.poll_interval,
        confirm=confirm,
        report=report,
    )
    return start(ctx, request, train_file=train_file, valid_file=valid_file)


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
    attach_slack(ctx, run)
    report_end(ctx, run, RunStatus.cancelled, "cancelled by request")
    return run


def _base_model(settings: Settings, request: RunRequest) -> str:
    if request.backend == Backend.local:
        return Backend.local
    if request.backend == PROMPT_BACKEND:
        return request.base_model or settings.prompt.model
    return request.base_model or settings.training.base_model


# What callers use from here, the context and the stage order included, so a caller
# needs one import for a whole run.
__all__ = [
    "Context",
    "Outcome",
    "RunRequest",
    "advance",
    "cancel",
    "context",
    "resume",
    "start",
    "take_up_paused",
    "train",
    "train_configured",
    "train_local",
]
