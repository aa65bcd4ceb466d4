"""Issue 15, item 10: an active OpenAI model that answers model_not_found.

OpenAI retires fine-tunes with their base models: the local fallback answers,
the log says so once, and /sport status tells whoever asks (admins) what to do.
"""

from __future__ import annotations

import logging

import pytest

from tests.bot.test_fallback import OPENAI_MODEL, _answer, openai_bot  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_gone_openai_model_is_reported_once_while_the_local_model_answers(
    openai_bot,  # noqa: F811
    slack_api,
    openai_api,
    caplog,
):
    bot, local_id = openai_bot
    openai_api.fail_next(404, times=10, code="model_not_found", path="/v1/completions")
    caplog.set_level(logging.INFO, logger="bot.model_source")

    bot.command("the goalie stopped the puck")
    first = _answer(slack_api, 1)
    bot.command("a home run in the ninth")
    second = _answer(slack_api, 2)

    assert f"local model `{local_id}`" in first
    assert "not found" in first
    assert f"local model `{local_id}`" in second
    gone = [
        r
        for r in caplog.records
        if r.levelno == logging.ERROR and "model_not_found" in r.getMessage()
    ]
    assert len(gone) == 1  # said once, not per request
    status = bot.command("status").text
    assert OPENAI_MODEL in status
    assert "no longer exists" in status
    assert "sportbot promote" in status


def test_status_has_no_warning_while_the_model_answers(openai_bot, slack_api):  # noqa: F811
    bot, _ = openai_bot
    bot.command("the goalie stopped the puck")
    _answer(slack_api)
    assert "no longer exists" not in bot.command("status").text
