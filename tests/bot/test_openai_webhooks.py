"""POST /openai/webhooks on the served app, as OpenAI delivers it."""

from __future__ import annotations

from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from tests.training.test_webhooks import SECRET, signed
from training import webhooks
from training.config import OpenAISettings
from training.schema import utcnow

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
