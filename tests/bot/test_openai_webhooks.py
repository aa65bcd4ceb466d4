"""POST /openai/webhooks on the served app, as OpenAI delivers it."""

from __future__ import annotations

from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from tests.training.openai_api.test_webhooks import SECRET, signed
from training.config import OpenAISettings
from training.openai_api import webhooks
from training.storage.schema import utcnow

pytestmark = pytest.mark.e2e


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = Request(url + "/openai/webhooks", data=body, method="POST", headers=headers)
    try:
        with urlopen(request, timeout=5) as response:
            return response.status
    except HTTPError as error:
        return error.code


def test_signed_webhook_is_accepted_and_wakes_the_run(serve, bot_settings, database) -> None:
    bot = serve(settings=bot_settings.with_changes(openai=OpenAISettings(webhook_secret=SECRET)))
    since = utcnow()
    body, headers = signed("fine_tuning.job.succeeded", "ftjob-7")
    assert _post(bot.url, body, headers) == 200
    assert webhooks.signalled_since(database, "ftjob-7", since)
    forged = {**headers, "webhook-signature": "v1,AAAA"}
    assert _post(bot.url, body, forged) == 400


def test_without_a_secret_the_endpoint_is_off(serve, bot_settings) -> None:
    bot = serve(settings=bot_settings)
    assert _post(bot.url, *signed("fine_tuning.job.succeeded", "ftjob-7")) == 404


def _signed_body(body: str, *, webhook_id: str = "wh_shape") -> tuple[bytes, dict[str, str]]:
    """Any body, signed as OpenAI signs (standard webhooks): only its shape is wrong."""
    import base64
    import hashlib
    import hmac
    import time

    stamp = str(int(time.time()))
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    return body.encode(), headers


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '[{"type": "fine_tuning.job.succeeded", "data": {"id": "ftjob-1"}}]',
        '"fine_tuning.job.succeeded"',
        '{"id": "evt_1", "object": "event", "created_at": 1, "type": "fine_tuning.job.failed"}',
        '{"id": "evt_1", "object": "event", "created_at": 1, '
        '"type": "fine_tuning.job.succeeded", "data": null}',
        '{"id": "evt_1", "object": "event", "created_at": 1, '
        '"type": "fine_tuning.job.cancelled", "data": {"id": 7}}',
        '{"id": "evt_1", "object": "event", "created_at": 1, "data": {"id": "ftjob-1"}}',
    ],
)
def test_a_signed_webhook_of_an_unexpected_shape_is_400_not_500(
    serve, bot_settings, database, body, caplog
) -> None:
    bot = serve(settings=bot_settings.with_changes(openai=OpenAISettings(webhook_secret=SECRET)))
    since = utcnow()
    assert _post(bot.url, *_signed_body(body)) == 400
    assert not webhooks.signalled_since(database, "ftjob-1", since)
    assert all(record.exc_info is None for record in caplog.records)  # no traceback


def test_a_signed_event_of_another_type_is_accepted_and_ignored(serve, bot_settings) -> None:
    bot = serve(settings=bot_settings.with_changes(openai=OpenAISettings(webhook_secret=SECRET)))
    body = '{"id": "evt_2", "object": "event", "created_at": 1, "type": "batch.completed"}'
    assert _post(bot.url, *_signed_body(body)) == 200
