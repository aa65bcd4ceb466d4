"""Automatic tagging over real HTTP: dedup, ignored subtypes, Slack API failures."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest

from tests.bot.conftest import CHANNEL, FakeClassifier, wait_until

pytestmark = pytest.mark.e2e

BASEBALL = "what a home run by the batter"
HOCKEY = "the goalie stopped the puck"


def _tag(bot, ts):
    return bot.services.tags.tag_for(CHANNEL, ts)


def _settled(bot, ts, status="tagged"):
    return wait_until(lambda: (tag := _tag(bot, ts)) and tag.status == status and tag)


def test_new_message_gets_the_labels_emoji(bot, slack_api):
    reply = bot.message(BASEBALL, ts="100.1")

    assert reply.status == 200
    call = slack_api.wait_for("reactions.add")[0]
    assert call.params | {"team_id": "T0001"} == {
        "channel": CHANNEL,
        "timestamp": "100.1",
        "name": "baseball",
        "team_id": "T0001",
    }
    assert _settled(bot, "100.1").label == "baseball"


def test_other_gets_no_reaction(bot, slack_api):
    bot.message("lunch at noon anyone?", ts="100.2")

    assert _settled(bot, "100.2", "skipped").label == "other"
    assert slack_api.calls_to("reactions.add") == []


def test_retried_event_is_tagged_once(bot, slack_api):
    event = {"type": "message", "channel": CHANNEL, "user": "UALICE", "text": HOCKEY, "ts": "1.1"}

    first = bot.event(event, event_id="EvSAME")
    retry = bot.event(event, event_id="EvSAME", retry_num=1)

    assert first.status == retry.status == 200
    _settled(bot, "1.1")
    time.sleep(0.3)
    assert len(slack_api.calls_to("reactions.add")) == 1


def test_same_event_to_two_app_instances_on_one_database_is_tagged_once(serve, registered_model):
    first = serve(classifier=FakeClassifier())
    second = serve(classifier=FakeClassifier())
    event = {"type": "message", "channel": CHANNEL, "user": "UALICE", "text": HOCKEY, "ts": "2.1"}

    assert first.event(event, event_id="EvTWICE").status == 200
    assert second.event(event, event_id="EvTWICE", retry_num=1).status == 200

    _settled(first, "2.1")
    time.sleep(0.3)
    assert len(first.slack_api.calls_to("reactions.add")) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "BOTHER", "subtype": "bot_message"},
        {"bot_id": "BBOT"},  # sportbot's own message
        {"subtype": "message_changed", "hidden": True, "message": {"text": HOCKEY, "ts": "3.0"}},
        {"subtype": "message_deleted", "hidden": True, "deleted_ts": "3.0"},
        {"subtype": "channel_join"},
    ],
    ids=["other-bot", "own-bot", "edit", "delete", "join"],
)
def test_bots_edits_deletions_and_joins_get_200_and_no_reaction(bot, slack_api, extra):
    reply = bot.message(HOCKEY, ts="3.1", **extra)

    assert reply.status == 200
    time.sleep(0.3)
    assert slack_api.calls_to("reactions.add") == []
    assert _tag(bot, "3.1") is None


def test_rate_limited_burst_is_waited_out_and_every_message_tagged(bot, slack_api):
    slack_api.rate_limit("reactions.add", times=3, retry_after=0)

    for n in range(6):
        assert bot.message(HOCKEY, ts=f"4.{n}").status == 200

    for n in range(6):
        _settled(bot, f"4.{n}")
    added = {c.params["timestamp"] for c in slack_api.calls_to("reactions.add")}
    assert added == {f"4.{n}" for n in range(6)}
    assert len(slack_api.calls_to("reactions.add")) == 6 + 3


def test_already_reacted_counts_as_done(bot, slack_api):
    slack_api.fail("reactions.add", "already_reacted")

    bot.message(BASEBALL, ts="5.1")

    assert _settled(bot, "5.1").reaction == "baseball"


def test_not_in_channel_is_logged_not_raised(bot, slack_api, caplog):
    caplog.set_level(logging.WARNING)
    slack_api.fail("reactions.add", "not_in_channel")

    bot.message(BASEBALL, ts="6.1")

    assert _settled(bot, "6.1", "failed").reaction is None
    messages = [record.getMessage() for record in caplog.records]
    assert any("not_in_channel" in message for message in messages)
    assert not any(record.exc_info for record in caplog.records)


def test_tagging_only_configured_channels(serve, registered_model, bot_settings, slack_api):
    slack = dataclasses.replace(bot_settings.slack, channels=frozenset({"COTHER"}))
    bot = serve(classifier=FakeClassifier(), settings=bot_settings.with_changes(slack=slack))

    bot.message(HOCKEY, ts="7.1")

    time.sleep(0.3)
    assert slack_api.calls_to("reactions.add") == []


def test_app_rate_limited_envelope_gets_200_and_a_log_line(bot, caplog):
    caplog.set_level(logging.WARNING)

    reply = bot.envelope(
        {
            "token": "legacy",
            "type": "app_rate_limited",
            "team_id": "T0001",
            "minute_rate_limited": 1518467820,
            "api_app_id": "A0001",
        }
    )

    assert reply.status == 200
    assert any("1518467820" in record.getMessage() for record in caplog.records)


def test_unhandled_event_type_still_gets_200(bot):
    event = {
        "type": "reaction_removed",
        "user": "UALICE",
        "reaction": "baseball",
        "item": {"type": "message", "channel": CHANNEL, "ts": "8.1"},
    }

    assert bot.event(event).status == 200


def test_process_tagger_setting_without_gunicorns_master_tags_in_a_thread(
    serve, bot_settings, registered_model, slack_api, caplog, monkeypatch
):
    """SPORTBOT_TAGGER=process (the default) counts on gunicorn's master to run the
    tagger; an app served without it tags in a thread rather than leave messages queued."""
    from bot.startup import MASTER_TAGS

    settings = bot_settings.with_changes(
        slack=dataclasses.replace(bot_settings.slack, tagger="process")
    )
    caplog.set_level(logging.WARNING)
    alone = serve(settings=settings, classifier=FakeClassifier())
    assert alone.message(BASEBALL, ts="300.1").status == 200
    assert _settled(alone, "300.1").label == "baseball"
    assert "no tagger process was started" in caplog.text
    alone.close()  # its tagger thread would take the next message too

    monkeypatch.setenv(MASTER_TAGS, "1")  # a worker of our gunicorn master: it tags
    served = serve(settings=settings, classifier=FakeClassifier())
    assert served.message(HOCKEY, ts="300.2").status == 200
    time.sleep(0.5)  # this process has no tagger: the message waits for the master's
    assert _tag(served, "300.2").status == "queued"
    assert len(slack_api.calls_to("reactions.add")) == 1


def test_a_message_with_a_lone_surrogate_or_nul_is_stored_and_tagged(bot, slack_api, database):
    """JSON can carry "\\ud800" and "\\u0000", which no database stores as sent."""
    reply = bot.message("what a home run \ud800 by the \x00 batter", ts="400.1")

    assert reply.status == 200
    assert _settled(bot, "400.1").label == "baseball"
    assert slack_api.wait_for("reactions.add")[0].params["timestamp"] == "400.1"
