"""OpenAI's fine-tuning webhooks: end a run's wait as soon as its job ends.

Polling alone works (every ``--poll-interval`` seconds). With a webhook endpoint
registered at OpenAI (``https://YOUR-HOST/openai/webhooks``, events
``fine_tuning.job.succeeded|failed|cancelled``) and ``OPENAI_WEBHOOK_SECRET``
set, the web process verifies each delivery with the ``openai`` client's
``webhooks.unwrap`` and records a ``job_signals`` row. Whichever process is
polling that job (the CLI, the clock, another web process) sleeps in short steps
and polls at once when the row appears, so the shared database carries the
signal and no second process ever finishes the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.config import OpenAISettings
from training.errors import ConfigError, WebhookSignatureError
from training.storage.database import Database
from training.storage.schema import JobSignal, utcnow

JOB_EVENTS = frozenset(
    {"fine_tuning.job.succeeded", "fine_tuning.job.failed", "fine_tuning.job.cancelled"}
)
# How often a waiting poller looks for a signal: one cheap indexed query.
SIGNAL_CHECK_SECONDS = 1.0


def receive(settings: OpenAISettings, db: Database, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify one delivery and record it when it is about a fine-tuning job; its event type.

    WebhookSignatureError when the signature, timestamp or body is not OpenAI's.
    """
    import openai

    if not settings.webhook_secret:
        raise ConfigError("OPENAI_WEBHOOK_SECRET is not set: OpenAI webhooks are not accepted.")
    # The key is not used to verify; the client only needs one to be constructed.
    client = openai.OpenAI(
        api_key=settings.api_key or "unused", webhook_secret=settings.webhook_secret
    )
    try:
        client.webhooks.unwrap(body, dict(headers))
    except (openai.InvalidWebhookSignatureError, ValueError) as error:
        raise WebhookSignatureError(f"Refused an OpenAI webhook: {error}") from None
    # The client parses leniently (a list, or an event without ``data``, comes back
    # half-built): check the shape ourselves, so a delivery we cannot use is refused
    # with a 400 instead of failing with a 500 that OpenAI would redeliver forever.
    event_type, job_id = _event_of(body)
    if event_type in JOB_EVENTS:
        _record(db, _header(headers, "webhook-id"), job_id, event_type)
    return event_type


def _event_of(body: bytes) -> tuple[str, str | None]:
    """The event type of a verified delivery, and its job id for a job event."""
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise WebhookSignatureError("Refused an OpenAI webhook: not an event object")
    if event["type"] not in JOB_EVENTS:
        return event["type"], None
    data = event.get("data")
    job_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise WebhookSignatureError(
            f"Refused an OpenAI webhook: {event['type']} without data.id (the job)"
        )
    return event["type"], job_id


def _record(db: Database, webhook_id: str, job_id: str, event_type: str) -> None:
    try:
        with db.session() as session:
            session.add(JobSignal(webhook_id=webhook_id, job_id=job_id, event_type=event_type))
    except IntegrityError:
        pass  # OpenAI redelivered a webhook we already have


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def signalled_since(db: Database, job_id: str, since: datetime) -> bool:
    """Whether a webhook said ``job_id`` ended after ``since``."""
    with db.session() as session:
        found = session.scalars(
            select(JobSignal.webhook_id).where(
                JobSignal.job_id == job_id, JobSignal.received_at >= since
            )
        ).first()
    return found is not None


def waiter(
    db: Database, job_id: str, *, sleep: Callable[[float], None] = time.sleep
) -> Callable[[float], None]:
    """A sleep between polls of ``job_id`` that ends early when its webhook arrives."""

    def wait(seconds: float) -> None:
        since = utcnow()
        left = seconds
        while left > 0:
            step = min(SIGNAL_CHECK_SECONDS, left)
            sleep(step)
            left -= step
            if signalled_since(db, job_id, since):
                return

    return wait
