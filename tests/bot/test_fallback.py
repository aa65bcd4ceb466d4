"""An active OpenAI model that fails or stalls: the local model answers, and says so."""

from __future__ import annotations

import time

import pytest

from tests.bot.conftest import CHANNEL, wait_until
from tests.system.conftest import register_tiny_model
from training.storage.registry import ModelRegistry

pytestmark = pytest.mark.e2e

OPENAI_MODEL = "ft:babbage-002:standin:sport:abc123"


@pytest.fixture
def openai_bot(serve, bot_settings, database, openai_api, tmp_path):
    """The registry-backed bot: a local model registered first, then an OpenAI one active."""
    local = register_tiny_model(database, tmp_path / "models")
    registry = ModelRegistry(database)
    registry.register(id=OPENAI_MODEL, backend="openai", labels=["baseball", "hockey", "other"])
    registry.promote(OPENAI_MODEL)
    # A 1 s client timeout keeps the stalled-OpenAI test short (serving caps it at 4 s anyway).
    settings = bot_settings.with_changes(openai=openai_api.settings(timeout=1.0))
    bot = serve(settings=settings)
    wait_until(lambda: bot.services.models.fallback_id() == local.id)
    return bot, local.id


def _answer(slack_api, count: int = 1) -> str:
    return slack_api.wait_for("response_url", count)[count - 1].params["text"]


def test_a_working_openai_model_answers_without_a_note(openai_bot, slack_api):
    bot, _ = openai_bot

    reply = bot.command("the goalie stopped the puck")

    assert "Classifying" in reply.text
    answer = _answer(slack_api)
    assert "*hockey*" in answer
    assert "local model" not in answer


@pytest.mark.parametrize("fault", ["500", "stall"])
def test_failing_openai_falls_back_to_the_local_model_and_says_so(
    openai_bot, slack_api, openai_api, fault
):
    bot, local_id = openai_bot
    if fault == "500":
        openai_api.fail_next(500, times=3)
    else:
        openai_api.stall_next(5.0, times=3)

    started = time.monotonic()
    reply = bot.command("the goalie stopped the puck")
    acked = time.monotonic() - started
    answer = _answer(slack_api)
    answered = time.monotonic() - started

    assert reply.status == 200
    assert acked < 1.0
    assert answered < 3.0  # one bounded try (1 s here), then the local model
    assert f"local model `{local_id}`" in answer
    assert "did not answer" in answer
    expected = "timed out" if fault == "stall" else "error"
    assert expected in answer


def test_tagging_falls_back_too(openai_bot, slack_api, openai_api, database):
    bot, local_id = openai_bot
    openai_api.fail_next(500, times=3)

    bot.message("the goalie stopped the puck on the power play", ts="1700000200.000001")

    call = slack_api.wait_for("reactions.add")[0]
    assert call.params["channel"] == CHANNEL
    from training.storage.tags import TagStore

    tag = TagStore(database).tag_for(CHANNEL, "1700000200.000001")
    assert tag is not None
    assert tag.model_id == local_id
