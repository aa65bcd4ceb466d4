"""/sport over real HTTP: classify, help, status, retrain."""

from __future__ import annotations

import logging
import time

import pytest

from tests.bot.conftest import ADMIN, CHANNEL, FakeClassifier, wait_until
from training.storage.schema import TrainingRun

pytestmark = pytest.mark.e2e


def _buttons(blocks: list[dict]) -> list[str]:
    actions = next(block for block in blocks if block["type"] == "actions")
    return [element["action_id"] for element in actions["elements"]]


def test_sport_text_answers_label_confidence_and_buttons_ephemerally(bot):
    reply = bot.command("the pitcher threw a perfect game in the ninth inning")

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_type"] == "ephemeral"
    assert "*baseball*" in answer["text"]
    assert "90% confident" in answer["text"]
    assert _buttons(answer["blocks"]) == ["correct_baseball", "correct_hockey", "correct_other"]


@pytest.mark.parametrize("prefix", ["--public ", "say "])
def test_sport_public_posts_in_channel(bot, prefix):
    answer = bot.command(prefix + "the goalie stopped the puck").json()

    assert answer["response_type"] == "in_channel"
    assert "*hockey*" in answer["text"]
    assert "goalie stopped the puck" in str(answer["blocks"])
    assert "say" not in str(answer["blocks"][1])


@pytest.mark.parametrize("text", ["", "help", "  HELP "])
def test_help_names_every_subcommand(bot, text):
    answer = bot.command(text)

    assert answer.status == 200
    for word in ("/sport status", "/sport retrain", "/sport help", "--public", "/sport <text>"):
        assert word in answer.text


def test_status_shows_active_model_and_last_run(bot, database):
    with database.session() as session:
        session.add(TrainingRun(backend="local", base_model="local", status="failed"))
        session.add(
            TrainingRun(
                backend="local", base_model="local", status="succeeded", requested_by="UCAROL"
            )
        )

    text = bot.command("status").text

    assert "fake-1" in text
    assert "(local)" in text
    assert "93.0%" in text
    assert "#2: succeeded" in text
    assert "<@UCAROL>" in text


def test_status_without_model_or_runs(serve, slack_api):
    bot = serve(classifier=FakeClassifier())

    text = bot.command("status").text

    assert "No model yet" in text
    assert "No training run yet" in text


def test_retrain_by_admin_runs_after_the_ack_and_reports_progress(bot, slack_api, fake_retrain):
    started = time.monotonic()
    reply = bot.command("retrain", user=ADMIN)

    # The trainer is still blocked, yet Slack already has its answer.
    assert reply.status == 200
    assert time.monotonic() - started < 1.0
    assert not fake_retrain.done.is_set()
    posted = slack_api.wait_for("chat.postMessage")
    assert posted[0].params["channel"] == CHANNEL
    assert "Retraining started by <@UADMIN>" in posted[0].params["text"]

    fake_retrain.release.set()
    updates = slack_api.wait_for("chat.update", count=3)

    assert len(slack_api.calls_to("chat.postMessage")) == 1  # one message, updated in place
    assert {call.params["ts"] for call in updates} == {posted[0].response["ts"]}
    assert "Training…" in updates[-1].params["text"]
    assert "local-new" in updates[-1].params["text"]
    assert fake_retrain.calls[0]["trigger"] == "slack"
    assert fake_retrain.calls[0]["requested_by"] == ADMIN
    assert fake_retrain.thread_names[0].startswith("retrain")
    started_note = slack_api.wait_for("response_url")[0].params
    assert "Retraining started" in started_note["text"]


def test_retrain_by_non_admin_is_refused_and_logged(bot, slack_api, fake_retrain, caplog):
    caplog.set_level(logging.WARNING)

    reply = bot.command("retrain", user="UBOB")

    assert reply.status == 200
    refusal = slack_api.wait_for("response_url")[0].params
    assert refusal["text"] == "Only admins can retrain sportbot."
    assert any("UBOB" in record.getMessage() for record in caplog.records)
    assert fake_retrain.calls == []
    assert slack_api.calls_to("chat.postMessage") == []


def test_retrain_by_workspace_owner_found_through_users_info(bot, slack_api, fake_retrain):
    slack_api.set_user("UOWNER", is_owner=True)

    bot.command("retrain", user="UOWNER")

    slack_api.wait_for("chat.postMessage")
    assert slack_api.calls_to("users.info")[0].params["user"] == "UOWNER"
    fake_retrain.release.set()
    wait_until(fake_retrain.done.is_set)
    assert fake_retrain.calls[0]["requested_by"] == "UOWNER"


def test_openai_model_acks_first_then_responds(serve, registered_model, slack_api):
    slow = FakeClassifier(backend="openai", delay=0.8)
    bot = serve(classifier=slow)

    started = time.monotonic()
    reply = bot.command("a home run in extra innings")
    elapsed = time.monotonic() - started

    assert reply.status == 200
    assert elapsed < 0.7  # the ack did not wait for the model
    assert "Classifying" in reply.text
    answer = slack_api.wait_for("response_url")[0].params
    assert "*baseball*" in answer["text"]
    assert answer["response_type"] == "ephemeral"


def test_no_model_tells_the_user_what_to_do(serve, slack_api):
    bot = serve()  # the real registry-backed classifier, and no model registered
    assert bot.services.models.wait_loaded(10)  # a busy machine: the first look takes time

    reply = bot.command("the goalie stopped the puck")

    assert reply.status == 200
    assert "No model yet: an admin can run `/sport retrain`." in reply.text


@pytest.mark.parametrize("text", ["--public", "say", "  --PUBLIC  ", "say\t"])
def test_the_public_flag_without_text_shows_help_instead_of_classifying_the_flag(bot, text):
    classifier = bot.services.models.current()[1]

    answer = bot.command(text)

    assert answer.status == 200
    assert "/sport status" in answer.text
    assert "confident" not in answer.text
    assert classifier.calls == []


@pytest.mark.parametrize("text", ["--public\tthe goalie stopped it", "SAY  the goalie stopped it"])
def test_the_public_flag_takes_any_whitespace_and_case(bot, text):
    answer = bot.command(text).json()

    assert answer["response_type"] == "in_channel"
    assert "the goalie stopped it" in str(answer["blocks"][1])
    quoted = answer["blocks"][1]["elements"][0]["text"]
    assert quoted == "the goalie stopped it"
