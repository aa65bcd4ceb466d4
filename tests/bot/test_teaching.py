"""Teaching through Slack, end to end: signed events and clicks into the app,
reactions and users.info through the Slack stand-in, votes in the database."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from tests.bot.conftest import ADMIN, CHANNEL, wait_until
from tests.standins.slack_api import TEAM
from training.config import TeachingSettings
from training.storage.teaching import ACCEPTED, REJECTED, WITHDRAWN
from training.storage.votes import VoteStore

pytestmark = pytest.mark.e2e

HOCKEY_EMOJI = "ice_hockey_stick_and_puck"
UNTAGGED = "did anyone see Kowalczyk's snipe last night"  # the fake model: other, no reaction
TAGGED = "what a home run by the batter"  # the fake model: baseball, tagged


def _stored(bot, text, ts, status):
    bot.message(text, ts=ts)
    feedback = bot.services.tags
    return wait_until(lambda: (t := feedback.tag_for(CHANNEL, ts)) and t.status == status and t)


def _react(bot, ts, reaction, *, user="UBOB", kind="reaction_added", **extra):
    event = {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": CHANNEL, "ts": ts},
        "item_user": "UALICE",
        "event_ts": f"{time.time():.6f}",
        **extra,
    }
    assert bot.event(event).status == 200


def _votes(database):
    return list(reversed(VoteStore(database).corrections()))


def _tag(bot, ts):
    return bot.services.tags.tag_for(CHANNEL, ts)


def _settled(check):
    """Listeners run after the ack: wait for ``check``, then give stragglers a moment."""
    value = wait_until(check)
    time.sleep(0.2)
    return value


# ----- one click teaches ---------------------------------------------------------------


def test_a_sport_reaction_on_an_untagged_message_teaches_and_tags_it(bot, slack_api, database):
    _stored(bot, UNTAGGED, "30.1", "skipped")

    _react(bot, "30.1", HOCKEY_EMOJI)

    add = slack_api.wait_for("reactions.add")[-1].params
    assert (add["timestamp"], add["name"]) == ("30.1", HOCKEY_EMOJI)
    [vote] = _settled(lambda: _votes(database))
    assert (vote.text, vote.label, vote.user, vote.source, vote.state) == (
        UNTAGGED,
        "hockey",
        "UBOB",
        "reaction",
        ACCEPTED,
    )
    tag = _tag(bot, "30.1")
    assert (tag.status, tag.corrected_label, tag.reaction) == ("corrected", "hockey", HOCKEY_EMOJI)


def test_the_not_sports_emoji_removes_a_wrong_tag_and_records_other(bot, slack_api, database):
    _stored(bot, TAGGED, "31.1", "tagged")

    _react(bot, "31.1", "x")

    removed = slack_api.wait_for("reactions.remove")[-1].params
    assert (removed["timestamp"], removed["name"]) == ("31.1", "baseball")
    [vote] = _settled(lambda: _votes(database))
    assert (vote.label, vote.state) == ("other", ACCEPTED)
    tag = _tag(bot, "31.1")
    assert (tag.status, tag.corrected_label, tag.reaction) == ("corrected", "other", None)


def test_the_not_sports_emoji_is_a_setting(serve, registered_model, bot_settings, database):
    from tests.bot.conftest import FakeClassifier

    settings = bot_settings.with_changes(teaching=TeachingSettings(emoji_not_sport="no_entry"))
    bot = serve(classifier=FakeClassifier(), settings=settings)
    _stored(bot, TAGGED, "32.1", "tagged")

    _react(bot, "32.1", "x")  # an ordinary reaction now
    _react(bot, "32.1", "no_entry")

    [vote] = _settled(lambda: _votes(database))
    assert vote.label == "other"


def test_removing_the_reaction_withdraws_the_label_and_restores_sportbots_tag(
    bot, slack_api, database
):
    _stored(bot, UNTAGGED, "33.1", "skipped")
    _react(bot, "33.1", HOCKEY_EMOJI)
    wait_until(lambda: _tag(bot, "33.1").status == "corrected")

    _react(bot, "33.1", HOCKEY_EMOJI, kind="reaction_removed")

    removed = slack_api.wait_for("reactions.remove")[-1].params
    assert (removed["timestamp"], removed["name"]) == ("33.1", HOCKEY_EMOJI)
    [vote] = _settled(lambda: _votes(database)[0].state == WITHDRAWN and _votes(database))
    assert vote.decided_by == "UBOB"
    tag = _tag(bot, "33.1")
    assert (tag.status, tag.corrected_label, tag.reaction) == ("skipped", None, None)
    assert VoteStore(database).accepted() == []


def test_the_neither_button_removes_the_tag_and_records_other(bot, slack_api, database):
    _stored(bot, TAGGED, "34.1", "tagged")
    value = json.dumps({"t": TAGGED, "c": CHANNEL, "s": "34.1"})

    bot.click("correct_other", value, user="UBOB")

    assert "neither" in slack_api.wait_for("response_url")[0].params["text"]
    assert slack_api.wait_for("reactions.remove")[-1].params["name"] == "baseball"
    [vote] = _settled(lambda: _votes(database))
    assert (vote.label, vote.source, vote.key) == ("other", "button", f"msg:{CHANNEL}:34.1")


# ----- one message, one label ------------------------------------------------------------


def test_twenty_clicks_store_one_label(bot, slack_api, database):
    value = json.dumps({"t": "the goalie made a save", "c": CHANNEL, "s": None})

    for _ in range(20):
        bot.click("correct_baseball", value, user="UBOB")

    slack_api.wait_for("response_url", 20)
    _settled(lambda: _votes(database))
    assert [(v.label, v.state) for v in _votes(database)] == [("baseball", ACCEPTED)]


def test_alternating_reactions_leave_one_accepted_label(bot, database):
    _stored(bot, UNTAGGED, "35.1", "skipped")

    for n in range(8):
        _react(bot, "35.1", HOCKEY_EMOJI if n % 2 == 0 else "baseball")

    # Slack delivers them concurrently, in any order: whatever the order, one label stands.
    def one_label_shown() -> bool:
        accepted = VoteStore(database).accepted()
        tag = _tag(bot, "35.1")
        return len(accepted) == 1 and tag.corrected_label == accepted[0].label

    _settled(one_label_shown)
    assert one_label_shown()  # and it stays so once the burst is over
    assert len(_votes(database)) <= 8


def test_an_admins_label_wins_over_a_majority(bot, database):
    _stored(bot, UNTAGGED, "36.1", "skipped")
    _react(bot, "36.1", "baseball", user="UBOB")
    _react(bot, "36.1", "baseball", user="UALICE")
    wait_until(lambda: len(_votes(database)) == 2)

    _react(bot, "36.1", HOCKEY_EMOJI, user=ADMIN)

    _settled(lambda: _tag(bot, "36.1").corrected_label == "hockey")
    assert [v.is_admin for v in _votes(database)] == [False, False, True]


# ----- who may teach ---------------------------------------------------------------------


def test_another_apps_bot_user_cannot_teach(bot, slack_api, database):
    slack_api.set_user("UOTHERBOT", is_bot=True)
    _stored(bot, TAGGED, "37.1", "tagged")

    _react(bot, "37.1", HOCKEY_EMOJI, user="UOTHERBOT")
    _react(bot, "37.1", HOCKEY_EMOJI, user="UBOB", bot_id="B0OTHER")  # a bot's event

    slack_api.wait_for("users.info")
    time.sleep(0.3)
    assert _votes(database) == []
    assert slack_api.calls_to("reactions.remove") == []
    assert _tag(bot, "37.1").status == "tagged"


def test_a_slack_connect_user_of_another_organisation_cannot_teach(bot, slack_api, database):
    slack_api.set_user("UEXTERNAL", team="T0THEIRS")
    _stored(bot, TAGGED, "38.1", "tagged")
    value = json.dumps({"t": TAGGED, "c": CHANNEL, "s": "38.1"})

    _react(bot, "38.1", HOCKEY_EMOJI, user="UEXTERNAL")
    _react(bot, "38.1", HOCKEY_EMOJI, user="UBOB", user_team="T0THEIRS")
    bot.click("correct_hockey", value, user="UEXTERNAL")

    answer = slack_api.wait_for("response_url")[0].params
    assert "only learns from people of this workspace" in answer["text"]
    time.sleep(0.3)
    assert _votes(database) == []
    assert _tag(bot, "38.1").status == "tagged"


def test_external_teachers_can_be_allowed(serve, registered_model, bot_settings, slack_api):
    from tests.bot.conftest import FakeClassifier

    slack_api.set_user("UEXTERNAL", team="T0THEIRS")
    settings = bot_settings.with_changes(teaching=TeachingSettings(external_teachers=True))
    bot = serve(classifier=FakeClassifier(), settings=settings)
    _stored(bot, UNTAGGED, "39.1", "skipped")

    _react(bot, "39.1", HOCKEY_EMOJI, user="UEXTERNAL")

    wait_until(lambda: _tag(bot, "39.1").corrected_by == "UEXTERNAL")


def test_a_user_slack_does_not_know_cannot_teach(bot, slack_api, database):
    _stored(bot, UNTAGGED, "40.1", "skipped")

    _react(bot, "40.1", HOCKEY_EMOJI, user="UNOBODY")

    call = slack_api.wait_for("users.info")[-1]
    assert call.response == {"ok": False, "error": "user_not_found"}
    time.sleep(0.3)
    assert _votes(database) == []


def test_buttons_from_a_channel_sportbot_does_not_serve_store_nothing(
    serve, registered_model, bot_settings, slack_api, database
):
    from tests.bot.conftest import FakeClassifier

    slack = dataclasses.replace(bot_settings.slack, channels=frozenset({"C0OTHER"}))
    bot = serve(classifier=FakeClassifier(), settings=bot_settings.with_changes(slack=slack))
    value = json.dumps({"t": "the goalie made a save", "c": CHANNEL, "s": "41.1"})

    bot.click("correct_hockey", value, user="UBOB")

    answer = slack_api.wait_for("response_url")[0].params
    assert "in the channels it serves" in answer["text"]
    assert _votes(database) == []


def test_a_forged_label_is_refused_and_never_echoed(bot, slack_api, database):
    value = json.dumps({"t": "the goalie made a save", "c": CHANNEL, "s": None})

    bot.click("correct_<!channel>", value, user="UBOB")
    bot.click("correct_hockey", "not json", user="UBOB")

    answers = [call.params["text"] for call in slack_api.wait_for("response_url", 2)]
    assert all("not one of sportbot's" in text for text in answers)
    assert not any("<!channel>" in text for text in answers)
    assert _votes(database) == []


# ----- admins see and undo ---------------------------------------------------------------


def _home_blocks(slack_api, count):
    view = slack_api.wait_for("views.publish", count)[-1].params["view"]
    return (json.loads(view) if isinstance(view, str) else view)["blocks"]


def _click_home(bot, action_id, value, user=ADMIN):
    return bot.interaction(
        {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM},
            "team": {"id": TEAM},
            "container": {"type": "view", "view_id": "V0001"},
            "trigger_id": bot.trigger_id(),
            "actions": [
                {"type": "button", "action_id": action_id, "value": value, "action_ts": "1.0"}
            ],
        }
    )


def test_admins_see_recent_corrections_and_reject_one_or_all_of_a_persons(bot, slack_api, database):
    for ts in ("42.1", "42.2", "42.3"):
        _stored(bot, f"{UNTAGGED} {ts}", ts, "skipped")
        _react(bot, ts, HOCKEY_EMOJI, user="UBOB")
    wait_until(lambda: all(_tag(bot, ts).status == "corrected" for ts in ("42.1", "42.2", "42.3")))

    bot.event({"type": "app_home_opened", "user": ADMIN, "channel": "D1", "tab": "home"})

    blocks = _home_blocks(slack_api, 1)
    texts = [block.get("text", {}).get("text", "") for block in blocks]
    listed = [text for text in texts if "by <@UBOB>" in text]
    assert len(listed) == 3
    assert "*hockey*" in listed[0]
    assert f"> {UNTAGGED} 42.3" in listed[0]  # newest first
    [first_reject, _] = next(b for b in blocks if b["type"] == "actions" and "block_id" in b)[
        "elements"
    ]
    assert first_reject["action_id"] == "home_reject"

    _click_home(bot, "home_reject", first_reject["value"])

    _home_blocks(slack_api, 2)
    assert _tag(bot, "42.3").status == "skipped"  # back to sportbot's own (no) tag
    assert [v.state for v in _votes(database)] == [ACCEPTED, ACCEPTED, REJECTED]

    _click_home(bot, "home_reject_user", "UBOB")

    _home_blocks(slack_api, 3)
    assert [v.state for v in _votes(database)] == [REJECTED] * 3
    assert {_tag(bot, ts).status for ts in ("42.1", "42.2")} == {"skipped"}


def test_non_admins_see_no_corrections_and_cannot_reject(bot, slack_api, database):
    _stored(bot, UNTAGGED, "43.1", "skipped")
    _react(bot, "43.1", HOCKEY_EMOJI, user="UBOB")
    [vote] = wait_until(lambda: _votes(database))

    bot.event({"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home"})
    assert "Recent corrections" not in str(_home_blocks(slack_api, 1))
    _click_home(bot, "home_reject", str(vote.id), user="UALICE")

    time.sleep(0.3)
    assert [v.state for v in _votes(database)] == [ACCEPTED]


def test_one_person_flipping_sure_tags_changes_the_tags_but_teaches_nothing_alone(
    bot, slack_api, database
):
    from training.classifiers.base import LABELS
    from training.pipeline.collect import slack_examples

    teaching = TeachingSettings()
    for n in range(6):
        _stored(bot, f"the goalie stopped the puck {n}", f"44.{n}", "tagged")
        _react(bot, f"44.{n}", "baseball", user="UBOB")
    _settled(lambda: len(_votes(database)) == 6)

    assert [v.state for v in _votes(database)] == [ACCEPTED] * 6
    assert _tag(bot, "44.0").corrected_label == "baseball"  # the tag follows at once
    assert slack_examples(database, LABELS, teaching)[0].empty  # the model does not

    _react(bot, "44.0", "baseball", user="UALICE")  # a second person agrees

    _settled(lambda: len(_votes(database)) == 7)
    frame = slack_examples(database, LABELS, teaching)[0]
    assert frame.values.tolist() == [["the goalie stopped the puck 0", "baseball", 16.0]]
