"""Corrections: buttons, reactions, the message shortcut."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from tests.bot.conftest import CHANNEL, wait_until
from training.storage.schema import Example

pytestmark = pytest.mark.e2e

BASEBALL = "what a home run by the batter"


def _examples(database) -> list[Example]:
    with database.session() as session:
        rows = session.scalars(select(Example).order_by(Example.id)).all()
        session.expunge_all()
        return list(rows)


def _tagged(bot, ts):
    bot.message(BASEBALL, ts=ts)
    feedback = bot.services.tags
    return wait_until(lambda: (t := feedback.tag_for(CHANNEL, ts)) and t.status == "tagged" and t)


def test_correction_button_on_a_tagged_message_stores_example_and_fixes_tag(
    bot, slack_api, database
):
    _tagged(bot, "10.1")
    value = json.dumps({"t": BASEBALL, "c": CHANNEL, "s": "10.1"})

    assert bot.click("correct_hockey", value, user="UBOB").status == 200

    thanks = slack_api.wait_for("response_url")[0].params
    assert "hockey" in thanks["text"]
    assert thanks["replace_original"] is True
    [example] = _examples(database)
    assert (example.text, example.label, example.user_id, example.source) == (
        BASEBALL,
        "hockey",
        "UBOB",
        "button",
    )
    assert slack_api.calls_to("reactions.remove")[0].params["name"] == "baseball"
    assert slack_api.calls_to("reactions.add")[-1].params["name"] == "ice_hockey_stick_and_puck"
    tag = bot.services.tags.tag_for(CHANNEL, "10.1")
    assert (tag.status, tag.corrected_label, tag.corrected_by) == ("corrected", "hockey", "UBOB")


def test_correction_button_under_a_sport_answer_stores_example_only(bot, slack_api, database):
    answer = bot.command("the goalie made a save").json()
    hockey_button = answer["blocks"][2]["elements"][0]  # "Baseball"

    bot.click(hockey_button["action_id"], hockey_button["value"])

    slack_api.wait_for("response_url")
    [example] = _examples(database)
    assert (example.text, example.label, example.channel_id) == (
        "the goalie made a save",
        "baseball",
        CHANNEL,
    )
    assert slack_api.calls_to("reactions.remove") == []


def test_other_sports_reaction_by_a_person_corrects_the_tag(bot, slack_api, database):
    _tagged(bot, "11.1")
    event = {
        "type": "reaction_added",
        "user": "UBOB",
        "reaction": "ice_hockey_stick_and_puck",
        "item": {"type": "message", "channel": CHANNEL, "ts": "11.1"},
        "item_user": "UALICE",
        "event_ts": "11.2",
    }

    assert bot.event(event).status == 200

    slack_api.wait_for("reactions.remove")
    example = wait_until(lambda: _examples(database))[0]
    assert (example.label, example.source, example.text) == ("hockey", "reaction", BASEBALL)
    tag = bot.services.tags.tag_for(CHANNEL, "11.1")
    assert tag.corrected_label == "hockey"
    assert tag.reaction == "ice_hockey_stick_and_puck"


def test_reactions_by_the_bot_or_with_the_same_label_change_nothing(bot, slack_api, database):
    _tagged(bot, "12.1")
    item = {"type": "message", "channel": CHANNEL, "ts": "12.1"}
    bot.event(
        {
            "type": "reaction_added",
            "user": "UBOT",
            "reaction": "ice_hockey_stick_and_puck",
            "item": item,
        }
    )
    bot.event({"type": "reaction_added", "user": "UBOB", "reaction": "baseball", "item": item})

    time.sleep(0.3)
    assert _examples(database) == []
    assert slack_api.calls_to("reactions.remove") == []


def test_message_shortcut_classifies_and_offers_corrections(bot, slack_api):
    payload = {
        "type": "message_action",
        "callback_id": "classify_message",
        "team": {"id": "T0001", "domain": "test"},
        "user": {"id": "UBOB", "team_id": "T0001"},
        "channel": {"id": CHANNEL, "name": "sports"},
        "message": {"type": "message", "user": "UALICE", "text": "power play goal", "ts": "13.1"},
        "response_url": slack_api.response_url("shortcut"),
        "trigger_id": "1.2.3",
        "message_ts": "13.1",
    }

    assert bot.interaction(payload).status == 200

    answer = slack_api.wait_for("response_url")[0].params
    assert answer["response_type"] == "ephemeral"
    assert "*hockey*" in answer["text"]
    value = json.loads(answer["blocks"][2]["elements"][0]["value"])
    assert value == {"t": "power play goal", "c": CHANNEL, "s": "13.1"}
