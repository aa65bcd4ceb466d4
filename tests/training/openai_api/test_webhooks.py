"""OpenAI fine-tuning webhooks: verified by the openai client, recorded once, waking polls."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from training.config import OpenAISettings
from training.errors import ConfigError, WebhookSignatureError
from training.openai_api import webhooks
from training.storage.schema import utcnow

pytestmark = pytest.mark.unit
SECRET = "whsec_" + base64.b64encode(b"sportbot-webhook-test-secret").decode()


def signed(event_type: str, job_id: str, *, webhook_id: str = "wh_1", secret: str = SECRET):
    """A body and headers exactly as OpenAI signs them (standard webhooks)."""
    body = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "created_at": int(time.time()),
            "type": event_type,
            "data": {"id": job_id},
        }
    )
    stamp = str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    return body.encode(), headers


SETTINGS = OpenAISettings(webhook_secret=SECRET)


def test_a_verified_job_event_is_recorded_once(database) -> None:
    since = utcnow()
    body, headers = signed("fine_tuning.job.succeeded", "ftjob-1")
    assert webhooks.receive(SETTINGS, database, body, headers) == "fine_tuning.job.succeeded"
    webhooks.receive(SETTINGS, database, body, headers)  # OpenAI redelivers: still fine
    assert webhooks.signalled_since(database, "ftjob-1", since)
    assert not webhooks.signalled_since(database, "ftjob-2", since)


def test_a_forged_signature_is_refused_and_records_nothing(database) -> None:
    since = utcnow()
    body, headers = signed("fine_tuning.job.failed", "ftjob-1", secret="whsec_" + "A" * 40)
    with pytest.raises(WebhookSignatureError):
        webhooks.receive(SETTINGS, database, body, headers)
    assert not webhooks.signalled_since(database, "ftjob-1", since)


def test_a_tampered_body_is_refused(database) -> None:
    body, headers = signed("fine_tuning.job.succeeded", "ftjob-1")
    with pytest.raises(WebhookSignatureError):
        webhooks.receive(SETTINGS, database, body.replace(b"ftjob-1", b"ftjob-9"), headers)


def test_other_event_types_are_accepted_but_not_recorded(database) -> None:
    since = utcnow()
    body, headers = signed("batch.completed", "batch-1")
    assert webhooks.receive(SETTINGS, database, body, headers) == "batch.completed"
    assert not webhooks.signalled_since(database, "batch-1", since)


def test_without_a_secret_webhooks_are_not_accepted(database) -> None:
    body, headers = signed("fine_tuning.job.succeeded", "ftjob-1")
    with pytest.raises(ConfigError, match="OPENAI_WEBHOOK_SECRET"):
        webhooks.receive(OpenAISettings(), database, body, headers)


def test_the_wait_between_polls_ends_at_the_webhook(database) -> None:
    naps: list[float] = []
    wait = webhooks.waiter(database, "ftjob-1", sleep=naps.append)
    wait(30)
    assert sum(naps) == 30  # no webhook: the whole interval

    naps.clear()

    def nap_then_webhook(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            webhooks.receive(SETTINGS, database, *signed("fine_tuning.job.succeeded", "ftjob-1"))

    webhooks.waiter(database, "ftjob-1", sleep=nap_then_webhook)(30)
    assert len(naps) == 2  # woke at the first check after the webhook
