"""Every answer Slack documents for reactions.add ends a tag in a definite status."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient

from bot.model_source import Answer
from bot.slack_client import make_client
from bot.tagger import Tagger
from tests.bot.conftest import wait_until
from tests.bot.tagger.test_tagger import _Inline, _message, _Models, _ShutDown
from training.classifiers.base import Prediction
from training.config import SlackSettings
from training.storage.tags import FAILED, PENDING, TAGGED, TagStore

pytestmark = pytest.mark.unit

# What each documented error is made of: the stand-in's own checks where it has them.
ANSWERED_WHEN_ASKED = [
    "too_many_emoji",
    "too_many_reactions",
    "message_not_found",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "not_reactable",
    "thread_locked",
    "internal_error",  # Slack answered: the tag is over, not left pending forever
]


class _ByText(_Models):
    """Baseball for a home run, hockey otherwise."""

    def classify(self, text: str) -> Answer:
        label = "baseball" if "home run" in text else "hockey"
        return Answer(Prediction(label, 0.95, {label: 0.95}, "local-test"))


def _tagger(database, slack_api, **slack) -> Tagger:
    settings = SlackSettings(
        bot_token="xoxb-test", api_url=slack_api.url, tag_delay_seconds=0, **slack
    )
    return Tagger(settings, TagStore(database), _Models("hockey"), executor=_Inline())


def _plain_client(slack_api) -> WebClient:
    # No retry handlers: a test sees Slack's final answer at once, not after 30 waits.
    return WebClient(token="xoxb-test", base_url=slack_api.url, retry_handlers=[])


def _settled(tagger: Tagger, ts: str):
    tag = tagger.tags.tag_for("C1", ts)
    return tag if tag.status != PENDING else None


@pytest.mark.parametrize("error", ANSWERED_WHEN_ASKED)
def test_a_refused_reaction_is_stored_as_failed_with_slacks_reason(database, slack_api, error):
    slack_api.fail("reactions.add", error, times=1)
    tagger = _tagger(database, slack_api)
    tagger.accept(_message("10.1"))

    tagger.work_once(_plain_client(slack_api))

    tag = wait_until(lambda: _settled(tagger, "10.1"))
    assert (tag.status, tag.failure, tag.reaction) == (FAILED, error, None)


def test_already_reacted_counts_as_tagged(database, slack_api):
    slack_api.fail("reactions.add", "already_reacted", times=1)
    tagger = _tagger(database, slack_api)
    tagger.accept(_message("11.1"))

    tagger.work_once(_plain_client(slack_api))

    tag = wait_until(lambda: _settled(tagger, "11.1"))
    assert (tag.status, tag.failure, tag.reaction) == (TAGGED, None, "ice_hockey_stick_and_puck")


def test_a_rate_limit_outlasting_the_retries_fails_the_tag_not_the_tagger(database, slack_api):
    slack_api.rate_limit("reactions.add", times=1, retry_after=0)
    tagger = _tagger(database, slack_api)
    tagger.accept(_message("12.1"))
    tagger.accept(_message("12.2"))

    tagger.work_once(_plain_client(slack_api))

    assert wait_until(lambda: _settled(tagger, "12.1")).failure == "ratelimited"
    assert wait_until(lambda: _settled(tagger, "12.2")).status == TAGGED


def test_bad_timestamp_fails_the_tag(database, slack_api):
    tagger = _tagger(database, slack_api)
    tagger.accept(_message("not-a-ts"))

    tagger.work_once(_plain_client(slack_api))

    assert wait_until(lambda: _settled(tagger, "not-a-ts")).failure == "bad_timestamp"


@pytest.mark.parametrize(
    "error", ["invalid_auth", "token_revoked", "account_inactive", "token_expired", "missing_scope"]
)
def test_a_refused_token_fails_tags_and_is_reported_once_naming_the_variable(
    database, slack_api, caplog, error
):
    if error == "missing_scope":
        slack_api.fail("reactions.add", error)
    else:
        slack_api.token_error("xoxb-test", error)
    tagger = _tagger(database, slack_api)
    for ts in ("13.1", "13.2", "13.3"):
        tagger.accept(_message(ts))
    tagger.models = _ByText()
    tagger.accept(_message("13.4", "a home run"))  # the other emoji: the same token problem

    tagger.work_once(_plain_client(slack_api))

    for ts in ("13.1", "13.2", "13.3", "13.4"):
        assert wait_until(lambda ts=ts: _settled(tagger, ts)).failure == error
    names = {call.params["name"] for call in slack_api.calls_to("reactions.add")}
    assert names == {"baseball", "ice_hockey_stick_and_puck"}
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(loud) == 1
    assert "SLACK_BOT_TOKEN" in loud[0].getMessage()
    assert loud[0].exc_info is None  # one line, no traceback


def test_an_emoji_slack_does_not_know_is_reported_once_loudly(database, slack_api, caplog):
    tagger = _tagger(database, slack_api, emoji_hockey=":ice_hockey:")  # colons: invalid_name
    for ts in ("14.1", "14.2", "14.3"):
        tagger.accept(_message(ts))

    tagger.work_once(make_client(tagger.slack))

    for ts in ("14.1", "14.2", "14.3"):
        assert wait_until(lambda ts=ts: _settled(tagger, ts)).failure == "invalid_name"
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(loud) == 1
    assert "SPORTBOT_EMOJI_HOCKEY" in loud[0].getMessage()
    assert ":ice_hockey:" in loud[0].getMessage()
    assert loud[0].exc_info is None


def test_resume_pending_finishes_every_tag_past_a_bad_one(database, slack_api):
    slack = SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, tag_delay_seconds=0)
    # A tagger stopped before reacting leaves its classified tags pending.
    stopped = Tagger(slack, TagStore(database), _Models("hockey"), executor=_ShutDown())
    for ts in ("15.1", "15.2", "15.3"):
        stopped.accept(_message(ts))
    stopped.work_once(make_client(slack))
    assert all(stopped.tags.tag_for("C1", ts).status == PENDING for ts in ("15.1", "15.2"))
    slack_api.fail("reactions.add", "too_many_emoji", times=1)  # the first one refused
    restarted = _tagger(database, slack_api)

    assert restarted.resume_pending(make_client(slack), older_than=-1) == 3

    statuses = [
        wait_until(lambda ts=ts: _settled(restarted, ts)) for ts in ("15.1", "15.2", "15.3")
    ]
    assert sorted((tag.status, tag.failure) for tag in statuses) == [
        (FAILED, "too_many_emoji"),
        (TAGGED, None),
        (TAGGED, None),
    ]
    assert len(slack_api.calls_to("reactions.add")) == 3
