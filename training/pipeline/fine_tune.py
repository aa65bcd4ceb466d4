"""Stages of a fine-tune (``openai`` backend): upload, launch, wait, results, the candidate.

Each id is saved in the run's row as soon as it exists, so a resumed run never
uploads a file twice nor creates a second job. Every OpenAI call goes through
``training.openai_api.jobs``. Imports ``training`` only, never ``bot/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training import preparation as prep
from training.config import DEFAULT_SEPARATOR
from training.errors import JobFailedError, JobPausedError
from training.openai_api import jobs as openai_jobs
from training.openai_api import webhooks
from training.pipeline.context import Candidate, Context
from training.states import Backend, RunStatus
from training.storage.runs import RunInfo


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
    path = ctx.folder(run) / "results.csv"
    path.write_text(text, encoding="utf-8")
    return path


def openai_candidate(ctx: Context, run: RunInfo, job: Any) -> Candidate:
    """The fine-tuned model as a classifier, with the labels and separator it learned."""
    from training.classifiers.openai_model import OpenAIModel

    train = prep.read_prepared(Path(run.train_path))
    labels = sorted(set(train["label"]))
    fmt = prep.format_for(run.base_model)
    first_row = read_first_row(Path(run.train_path))
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


def read_first_row(train_path: Path) -> dict:
    """The first example of a prepared training file: what the model learned from."""
    with open(train_path, encoding="utf-8") as handle:
        return json.loads(handle.readline())


def job_duration(job: Any) -> float | None:
    if job.finished_at and job.created_at:
        return float(job.finished_at - job.created_at)
    return None
