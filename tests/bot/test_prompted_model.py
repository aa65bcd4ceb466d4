"""The Slack app with an active prompted model (backend ``openai-prompt``): /sport and
tags name it, /sport status shows its cost, the local model answers when OpenAI
fails or today's budget (SPORTBOT_COST_CAP_USD) is spent, and admins are told once."""

from __future__ import annotations

import pytest

from tests.bot.conftest import ADMIN, CHANNEL, wait_until
from tests.system.conftest import register_tiny_model
from training.classifiers import example_bank, prompted
from training.classifiers.scoring.files import file_sha256
from training.config import TrainingSettings
from training.storage.registry import ModelRegistry
from training.storage.tags import TagStore

pytestmark = pytest.mark.e2e

EXAMPLES = [
    ("The goalie stopped the puck in overtime", "hockey"),
    ("The pitcher threw a curveball for strike three", "baseball"),
    ("The deploy is blocked until the tests pass", "other"),
]


def register_prompted(database, directory) -> str:
    """A bank saved and registered as the active prompted model, as a run leaves it."""
    texts, labels = zip(*EXAMPLES, strict=True)
    bank = example_bank.build_bank(list(texts), list(labels))
    path = example_bank.save_bank(bank, directory)
    model_id = prompted.prompted_model_id("gpt-4.1-mini", bank.version)
    registry = ModelRegistry(database)
    registry.register(
        id=model_id,
        backend="openai-prompt",
        labels=bank.label_set,
        base_model="gpt-4.1-mini",
        prompt_format="prompt",
        artifact_path=str(path),
        artifact_sha256=file_sha256(path),
        data_sha256=bank.version,
        metrics={
            "accuracy": 0.95,
            "cost": {"tokens_per_message": 120.0, "output_tokens": 1, "usd_per_message": 5e-05},
        },
    )
    registry.promote(model_id)
    return model_id


def prompted_bot(serve, bot_settings, database, openai_api, tmp_path, **training):
    local = register_tiny_model(database, tmp_path / "models", promote=False)
    model_id = register_prompted(database, tmp_path / "models")
    settings = bot_settings.with_changes(
        openai=openai_api.settings(timeout=1.0), training=TrainingSettings(**training)
    )
    bot = serve(settings=settings)
    wait_until(lambda: bot.services.models.fallback_id() == local.id)
    return bot, model_id, local.id


def answer(slack_api, count: int = 1) -> str:
    return slack_api.wait_for("response_url", count)[count - 1].params["text"]


def test_sport_and_tags_name_the_prompted_model_and_status_shows_its_cost(
    serve, bot_settings, database, openai_api, slack_api, tmp_path
) -> None:
    bot, model_id, _ = prompted_bot(serve, bot_settings, database, openai_api, tmp_path)

    assert "Classifying" in bot.command("the goalie stopped the puck").text
    said = answer(slack_api)
    assert "*hockey*" in said
    assert "local model" not in said
    [request] = openai_api.requests_to("/v1/chat/completions", "POST")
    assert request.json["messages"][-1]["content"] == "the goalie stopped the puck"

    bot.message("the goalie stopped the puck on the power play", ts="1700000300.000001")
    slack_api.wait_for("reactions.add")
    tag = wait_until(lambda: TagStore(database).tag_for(CHANNEL, "1700000300.000001"))
    assert tag.model_id == model_id

    status = bot.command("status").text
    assert model_id in status
    assert "(openai-prompt)" in status
    assert "$0.05 per 1,000" in status
    assert "spent today $0.00 of the $10.00 daily cap" in status


def test_openai_failing_lets_the_local_model_answer(
    serve, bot_settings, database, openai_api, slack_api, tmp_path
) -> None:
    bot, _, local_id = prompted_bot(serve, bot_settings, database, openai_api, tmp_path)
    openai_api.fail_next(429, times=3)

    bot.command("the goalie stopped the puck")

    said = answer(slack_api)
    assert f"local model `{local_id}`" in said
    assert "rate-limited" in said


def test_past_the_daily_cap_the_local_model_answers_and_admins_are_told_once(
    serve, bot_settings, database, openai_api, slack_api, tmp_path
) -> None:
    bot, _, local_id = prompted_bot(
        serve, bot_settings, database, openai_api, tmp_path, cost_cap_usd=0.0
    )

    bot.command("the goalie stopped the puck")
    first = answer(slack_api, 1)
    bot.command("a home run in the ninth")
    second = answer(slack_api, 2)

    for said in (first, second):
        assert "budget (SPORTBOT_COST_CAP_USD) is spent" in said
        assert f"local model `{local_id}`" in said
    assert not openai_api.requests_to("/v1/chat/completions", "POST")
    told = [
        call
        for call in slack_api.calls_to("chat.postMessage")
        if "SPORTBOT_COST_CAP_USD" in call.params.get("text", "")
    ]
    assert len(told) == 1
    assert told[0].params["channel"] == ADMIN  # no report channel: a DM to each admin
