"""Scheduled retraining: APScheduler's jobs for the clock process (Procfile ``clock``,
started by ``bot.startup.run_clock``).

The job store is the database (SQLAlchemyJobStore on settings.db_url), so the
schedule survives restarts and a redeploy does not add a second job
(fixed id, ``replace_existing``). Missed runs (the clock process was down) are
coalesced into one within the grace time. A scheduled run starts only when
people labelled new examples since the last successful run, unless forced;
another run in progress (from Slack or the CLI) makes it skip, not wait.

When OpenAI refuses to create fine-tuning jobs (it is closing self-serve
fine-tuning), the refusal is logged once and the clock process stops asking:
the same tick and the later ones train the local model, or skip
(SPORTBOT_OPENAI_REFUSED), until the process restarts.

Never imports ``bot``: the process itself is started by ``bot.startup.run_clock``.
"""

from __future__ import annotations

import logging
from typing import Any

from training.config import Settings
from training.errors import FineTuningRefusedError, RunInProgressError, SportbotError
from training.states import Backend, RunStatus
from training.storage.database import Database

log = logging.getLogger(__name__)
JOB_ID = "sportbot-retrain"
CORRECTIONS_JOB_ID = "sportbot-retrain-on-corrections"
# How often the clock process counts new corrections (SPORTBOT_RETRAIN_AFTER_CORRECTIONS).
CORRECTIONS_LOOK_SECONDS = 300
MISFIRE_GRACE_SECONDS = 6 * 3600
# Backends OpenAI refused in this process, with the refusal: not asked again per tick.
_refused: dict[str, str] = {}


def has_new_examples(db: Database) -> bool:
    """True when a labelled example is newer than what the last successful run learned."""
    from training.pipeline.collect import newest_example_id
    from training.storage.runs import RunStore

    last = RunStore(db).last_succeeded()
    return newest_example_id(db) > (last.examples_upto if last else 0)


def new_corrections(db: Database) -> int:
    """Accepted labels from Slack newer than what the last successful run learned."""
    from sqlalchemy import func, select

    from training.storage.runs import RunStore
    from training.storage.schema import Example
    from training.storage.teaching import ACCEPTED

    last = RunStore(db).last_succeeded()
    upto = last.examples_upto if last else 0
    with db.session() as session:
        query = select(func.count()).where(Example.state == ACCEPTED, Example.id > upto)
        return int(session.scalar(query.select_from(Example)) or 0)


def corrections_pay(settings: Settings, db: Database) -> bool:
    """Enough new corrections arrived for a run between the scheduled ones."""
    wanted = settings.teaching.retrain_after
    return wanted > 0 and new_corrections(db) >= wanted


def retrain_on_corrections() -> None:
    """The clock's frequent job: a run once enough new corrections arrived."""
    from training.storage.database import connect

    # Stored by reference like scheduled_retrain: it reads the settings itself.
    settings = Settings.from_env()
    try:
        db = connect(settings)
        if corrections_pay(settings, db):
            log.info("Retraining: %d new corrections arrived.", new_corrections(db))
            retrain_if_needed(settings, db)
    except SportbotError as error:  # logged, the clock goes on
        log.error("Retraining on corrections failed: %s", error)


def scheduled_backend(settings: Settings) -> str | None:
    """SPORTBOT_BACKEND when set; otherwise OpenAI fine-tuning when a key is configured,
    the embedded model without one.

    After OpenAI refused to fine-tune: "local", or None (skip) as configured.
    """
    chosen = settings.training.backend
    if chosen is not None and chosen != Backend.openai:
        return chosen  # local, or openai-prompt (which never asks for a fine-tuning job)
    if not settings.openai.enabled:
        return Backend.local
    if Backend.openai in _refused:
        return Backend.local if settings.training.openai_refused == "local" else None
    return Backend.openai


def forget_refusals() -> None:
    """Ask OpenAI again at the next tick (what a restart of the clock process does)."""
    _refused.clear()


def retrain_if_needed(
    settings: Settings, db: Database, *, force: bool = False, **train_options: Any
) -> Any | None:
    """One scheduled run, or None when there is nothing new / another run is going on."""
    from training.pipeline.context import RunRequest
    from training.pipeline.run import train

    if not force and not has_new_examples(db):
        log.info("Scheduled retraining skipped: no new labelled examples since the last run.")
        return None
    backend = scheduled_backend(settings)
    if backend is None:
        log.debug("Scheduled retraining skipped: OpenAI refused fine-tuning earlier.")
        return None
    request = RunRequest(backend=backend, trigger="schedule", force=False)
    try:
        return train(settings, db, request, **train_options)
    except RunInProgressError as error:
        log.info("Scheduled retraining skipped: %s", error)
        return None
    except FineTuningRefusedError as error:
        _refused[backend] = str(error)
        then = (
            "this tick and the next ones train the local model"
            if settings.training.openai_refused == "local"
            else "the next ticks are skipped"
        )
        log.error(
            "Scheduled retraining: %s OpenAI is not asked again until the clock process "
            "restarts; %s (SPORTBOT_OPENAI_REFUSED).",
            error,
            then,
        )
        if settings.training.openai_refused != "local":
            return None
        return retrain_if_needed(settings, db, force=True, **train_options)


def scheduled_retrain(force: bool = False) -> None:
    """The scheduler's job: module-level so APScheduler can store it by reference."""
    from training.storage.database import connect

    # The job store holds only "training.schedule:scheduled_retrain" and its kwargs, so
    # the job reads the settings itself; this name and signature must keep resolving.
    settings = Settings.from_env()
    try:
        retrain_if_needed(settings, connect(settings), force=force)
    except SportbotError as error:  # logged, the clock goes on to the next tick
        log.error("Scheduled retraining failed: %s", error)


def resume_unfinished(settings: Settings, db: Database) -> int:
    """Resume runs a killed process left behind; returns how many were taken up."""
    from training.pipeline import run as pipeline

    ctx = pipeline.context(settings, db)
    count = 0
    for run in ctx.runs.unfinished():
        try:
            # A run that stopped waiting for its paused job goes on only once it runs again.
            if run.status == RunStatus.paused and not pipeline.take_up_paused(ctx, run):
                continue
            pipeline.advance(ctx, run)
        except SportbotError as error:
            log.error("Resuming run %s failed: %s", run.id, error)
        count += 1
    return count


def build_scheduler(settings: Settings, *, force: bool = False, blocking: bool = True) -> Any:
    """The scheduler with its one cron job, its store in the database."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    from training.errors import ConfigError

    try:
        trigger = CronTrigger.from_crontab(settings.training.retrain_cron, timezone="UTC")
    except ValueError as error:
        raise ConfigError(
            f"SPORTBOT_RETRAIN_CRON must be a cron expression like '0 4 * * 1': {error}"
        ) from None
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        jobstores={"default": SQLAlchemyJobStore(url=settings.db_url)},
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone="UTC",
    )
    scheduler.add_job(
        scheduled_retrain,
        trigger,
        id=JOB_ID,
        kwargs={"force": force},
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        max_instances=1,
    )
    if settings.teaching.retrain_after > 0:
        scheduler.add_job(
            retrain_on_corrections,
            "interval",
            seconds=CORRECTIONS_LOOK_SECONDS,
            id=CORRECTIONS_JOB_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
    return scheduler


def run_scheduler(settings: Settings, db: Database, *, force: bool = False) -> None:
    """Resume what a previous process left, then block on the schedule."""
    resumed = resume_unfinished(settings, db)
    if resumed:
        log.info("Resumed %d unfinished run(s).", resumed)
    scheduler = build_scheduler(settings, force=force)
    log.info("Retraining on schedule %r (UTC).", settings.training.retrain_cron)
    scheduler.start()
