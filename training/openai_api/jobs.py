"""Stage helpers for OpenAI fine-tuning jobs: upload, create, poll, results, cancel.

Thin functions over the real ``openai`` client. Every call goes through
``call`` and so through the one error boundary (``training.openai_api.calls``): no
``openai`` exception leaves this module, only ours with a message that says
what to do. The client retries 429/5xx and connection errors itself
(``max_retries``); ``retrying`` adds a slower loop of our own around every call
made while waiting, because a job runs for minutes to hours and one bad minute
of network must not lose it. Nothing here touches the database: the pipeline
persists what these functions return.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import openai

from training.errors import OpenAIError
from training.openai_api.calls import openai_error, translated

log = logging.getLogger(__name__)
T = TypeVar("T")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# The pause endpoint's answer; the spec's status list omits it. Not terminal: a
# paused job can be resumed (or cancelled).
PAUSED = "paused"
RESULT_COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")
# Errors worth waiting out: the network, rate limits, OpenAI's own 5xx.
TRANSIENT = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)

Sleep = Callable[[float], None]


def retrying(
    call: Callable[[], T], *, attempts: int = 6, base_delay: float = 1.0, sleep: Sleep = time.sleep
) -> T:
    """``call()``, retried with exponential backoff on transient errors (then OpenAIError)."""
    for attempt in range(attempts):
        try:
            return call()
        except TRANSIENT as error:
            if attempt == attempts - 1:
                ours = _translate(error, "while waiting for the job")
                raise type(ours)(
                    f"OpenAI kept failing while waiting for the job: {ours}",
                    status_code=ours.status_code,
                    code=ours.code,
                ) from None
            delay = min(base_delay * 2**attempt, 60.0)
            log.warning("OpenAI call failed (%s); retrying in %.1f s", type(error).__name__, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def call(
    client: openai.OpenAI,
    what: str,
    request: Callable[[], T],
    *,
    retry: bool = False,
    creating_job: bool = False,
    sleep: Sleep = time.sleep,
) -> T:
    """``request()`` through the error boundary (and ``retrying`` when ``retry``)."""
    with translated(what, client=client, creating_job=creating_job):
        return retrying(request, sleep=sleep) if retry else request()


def _translate(error: openai.OpenAIError, what: str) -> OpenAIError:
    return openai_error(error, what)


def upload(client: openai.OpenAI, path: Path) -> str:
    """Upload a prepared JSONL file for fine-tuning; returns its file id."""
    name = Path(path).name
    with open(path, "rb") as handle:
        return call(
            client,
            f"while uploading {name}",
            lambda: client.files.create(file=(name, handle), purpose="fine-tune"),
        ).id


def suffix_for(run_id: int) -> str:
    # OpenAI refuses suffixes over 64 characters; this one is far below.
    return f"sportbot-run-{run_id}"[:64]


def create_job(
    client: openai.OpenAI,
    *,
    run_id: int,
    model: str,
    training_file: str,
    validation_file: str | None,
    epochs: int,
    seed: int | None = None,
    run_key: str | None = None,
) -> Any:
    """Create the fine-tuning job of run ``run_id``.

    Its metadata ``sportbot_run`` is ``run_key`` (a UUID unique across deployments),
    with the number beside it for people; without a key (runs older than migration
    0007), the number.

    A refusal (any 4xx without a faulty parameter: the organisation may no longer
    fine-tune) raises FineTuningRefusedError.
    """
    return call(
        client,
        f"while creating the fine-tuning job on {model}",
        lambda: client.fine_tuning.jobs.create(
            model=model,
            training_file=training_file,
            validation_file=validation_file,
            suffix=suffix_for(run_id),
            seed=seed if seed is not None else run_id,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs}}},
            metadata=job_metadata(run_id, run_key),
        ),
        creating_job=True,
    )


def job_metadata(run_id: int, run_key: str | None) -> dict[str, str]:
    """The metadata a run's job carries."""
    if run_key is None:
        return {"sportbot_run": str(run_id)}
    return {"sportbot_run": run_key, "sportbot_run_id": str(run_id)}


def find_job(
    client: openai.OpenAI,
    key: int | str,
    *,
    training_file: str | None = None,
    sleep: Sleep = time.sleep,
) -> Any | None:
    """The job already created for a run (a crash after create, before saving its id).

    ``key`` is the run's key (or, for old runs, its number). A job is adopted only
    when its training file is ``training_file``, the run's own upload: a job with the
    same key trained on other data (another deployment's, an old database's) is not
    this run's, whatever its metadata says.
    """
    key = str(key)
    page = call(
        client,
        "while listing fine-tuning jobs",
        lambda: client.fine_tuning.jobs.list(metadata={"sportbot_run": key}),
        retry=True,
        sleep=sleep,
    )
    jobs = [job for job in page.data if (job.metadata or {}).get("sportbot_run") == key]
    if training_file is None:
        return jobs[0] if jobs else None
    for job in jobs:
        if job.training_file == training_file:
            return job
        log.warning(
            "Job %s carries sportbot_run=%s but trained on %s, not this run's %s: not adopted.",
            job.id,
            key,
            job.training_file,
            training_file,
        )
    return None


def retrieve(client: openai.OpenAI, job_id: str, *, sleep: Sleep = time.sleep) -> Any:
    return call(
        client,
        f"while retrieving job {job_id}",
        lambda: client.fine_tuning.jobs.retrieve(job_id),
        retry=True,
        sleep=sleep,
    )


def new_events(
    client: openai.OpenAI, job_id: str, seen: set[str], *, sleep: Sleep = time.sleep
) -> list[Any]:
    """Events not in ``seen`` (ids added to it), oldest first."""
    page = call(
        client,
        f"while reading the events of job {job_id}",
        lambda: client.fine_tuning.jobs.list_events(job_id, limit=50),
        retry=True,
        sleep=sleep,
    )
    fresh = [event for event in page.data if event.id not in seen]
    seen.update(event.id for event in fresh)
    return list(reversed(fresh))  # the API lists newest first


def poll(
    client: openai.OpenAI,
    job_id: str,
    *,
    interval: float,
    on_update: Callable[[Any, list[Any]], None],
    sleep: Sleep = time.sleep,
    wait: Sleep | None = None,
    max_polls: int | None = None,
    paused_limit: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Retrieve the job every ``interval`` seconds until it ends; returns the final job.

    ``on_update(job, new_events)`` sees each status and the events since the last poll.
    ``wait`` sleeps between polls (default ``sleep``); a webhook-aware one ends early.
    A job paused for ``paused_limit`` seconds (by ``clock``) is returned paused.
    """
    seen: set[str] = set()
    polls = 0
    paused_since: float | None = None
    while True:
        job = retrieve(client, job_id, sleep=sleep)
        on_update(job, new_events(client, job_id, seen, sleep=sleep))
        polls += 1
        if job.status in TERMINAL or (max_polls is not None and polls >= max_polls):
            return job
        if job.status == PAUSED:
            paused_since = clock() if paused_since is None else paused_since
            if paused_limit is not None and clock() - paused_since >= paused_limit:
                return job
        else:
            paused_since = None
        (wait or sleep)(interval)


def failure_message(job: Any) -> str:
    """OpenAI's reason for a failed or cancelled job, as one line."""
    if job.status == "cancelled":
        return f"Fine-tuning job {job.id} was cancelled."
    error = job.error
    message = getattr(error, "message", None) if error is not None else None
    code = getattr(error, "code", None) if error is not None else None
    reason = message or "no reason given"
    return f"Fine-tuning job {job.id} failed: {reason}" + (f" ({code})" if code else "")


def download_results(client: openai.OpenAI, job: Any, *, sleep: Sleep = time.sleep) -> str:
    """The job's result CSV as text ('' when it has none); base64 content is decoded."""
    if not job.result_files:
        return ""
    file_id = job.result_files[0]
    content = call(
        client,
        f"while downloading the result file {file_id}",
        lambda: client.files.content(file_id),
        retry=True,
        sleep=sleep,
    ).content
    return decode_result(content)


def decode_result(content: bytes) -> str:
    """Result files may arrive base64-encoded; plain CSV is returned as it is."""
    text = content.decode("utf-8", errors="replace")
    if text.lstrip().startswith("step"):
        return text
    try:
        return base64.b64decode(content, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return text


def parse_results(text: str) -> list[dict[str, float | None]]:
    """Rows of the result CSV with numbers (empty validation cells become None)."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({name: _number(row.get(name)) for name in RESULT_COLUMNS})
    return rows


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def cancel(client: openai.OpenAI, job_id: str) -> Any:
    """Cancel a job; a job that has already ended is returned as it is."""
    with translated(f"while cancelling job {job_id}", client=client):
        try:
            return client.fine_tuning.jobs.cancel(job_id)
        except openai.BadRequestError:  # it has already ended
            return client.fine_tuning.jobs.retrieve(job_id)
