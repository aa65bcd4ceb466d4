"""The order of a run's stages, and how a run that stops ends.

collect → prepare → (cost guard) → launch → wait → results → evaluate →
register/promote → report. Every stage saves what it produced in the run's row
before the next one starts, and ``advance`` skips the stages whose results are
already there, so the same function starts a run and resumes one a killed
process left behind. A run that fails is recorded and reported in its one Slack
message; one whose OpenAI job still runs stays resumable. Imports ``training``
only, never ``bot/``.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC

from training.classifiers.prompted import BACKEND as PROMPT_BACKEND
from training.errors import JobFailedError
from training.pipeline import report as reporting
from training.pipeline.context import Context, Outcome
from training.pipeline.cost import estimate_stage
from training.pipeline.fine_tune import launch_openai, openai_candidate, save_results, wait_for_job
from training.pipeline.judge import judge_and_finish
from training.pipeline.prepare import prepare_stage
from training.pipeline.prompt import prompted_candidate
from training.pipeline.train import fit_local
from training.slack.message import SlackReport
from training.states import Backend, RunStatus
from training.storage.runs import RunInfo
from training.storage.schema import utcnow

log = logging.getLogger(__name__)


def advance(ctx: Context, run: RunInfo) -> Outcome:
    """Carry ``run`` from wherever it stands to its end (or to a launched job with no-wait)."""
    started = time.monotonic()
    attach_slack(ctx, run)
    try:
        if not run.valid_path:
            run = prepare_stage(ctx, run)
        if run.backend == Backend.local:
            candidate, job = fit_local(ctx, run), None
        elif run.backend == PROMPT_BACKEND:
            candidate, job = prompted_candidate(ctx, run), None
        else:
            if run.estimated_tokens is None:
                run = estimate_stage(ctx, run)
            run = launch_openai(ctx, run)
            if not ctx.wait:
                ctx.say(f"Job {run.job_id} launched; `sportbot runs resume` waits for it.")
                return Outcome(run=run, folder=ctx.folder(run))
            job = wait_for_job(ctx, run)
            run = ctx.runs.update(
                run.id, status=RunStatus.evaluating, trained_tokens=job.trained_tokens
            )
            save_results(ctx, run, job)
            candidate = openai_candidate(ctx, run, job)
        return judge_and_finish(ctx, run, candidate, job, time.monotonic() - started)
    except BaseException as error:
        fail(ctx, run.id, error)
        raise


def attach_slack(ctx: Context, run: RunInfo) -> None:
    """The run's Slack message: the one the caller posted, or the run's own (reused after
    a restart through the saved ts)."""
    if ctx.adopt is not None and run.slack_ts is None:
        ctx.report, ctx.adopt = ctx.adopt, None
        if ctx.report.ts is not None:
            ctx.runs.update(run.id, slack_ts=ctx.report.ts, channel=ctx.report.channel)
        return
    channel = run.channel or ctx.settings.slack.report_channel
    if ctx.slack is None or not channel:
        if ctx.slack is not None:
            log.info(
                "No channel for run %s (SPORTBOT_REPORT_CHANNEL unset): no Slack report.", run.id
            )
        return
    ctx.report = SlackReport(ctx.slack, channel, run.slack_ts)
    if run.slack_ts is None:
        ctx.report.title = f"Retraining run {run.id} ({run.backend}, {run.base_model})"
        ts = ctx.report.start()
        if ts is not None:
            ctx.runs.update(run.id, slack_ts=ts, channel=ctx.report.channel)


def fail(ctx: Context, run_id: int, error: BaseException) -> None:
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
    report_end(ctx, run, status, message)


def report_end(ctx: Context, run: RunInfo, status: str, message: str) -> None:
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
        reporting.publish(ctx, run, report)
    except Exception:  # the original error matters more than a failed report
        log.exception("Could not report the end of run %s", run.id)


def _elapsed(run: RunInfo) -> float | None:
    created = run.created_at
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (utcnow() - created).total_seconds()
