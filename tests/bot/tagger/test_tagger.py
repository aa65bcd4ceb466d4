"""The tagger loop on its own: queued messages in, labels and reactions out."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

import pytest

from bot.model_source import Answer
from bot.slack_client import make_client
from bot.tagger import DUPLICATE, IGNORED, QUEUED, Tagger
from bot.tagger.gathering import Gathering
from bot.tagger.tagger import BATCH
from tests.bot.conftest import wait_until
from training.classifiers.base import Prediction
from training.config import Settings, SlackSettings
from training.errors import ConfigError, NoModelError, OpenAIError
from training.storage.tags import FAILED, SKIPPED, TAGGED, TagStore

pytestmark = pytest.mark.unit


class _Models:
    """ModelSource's face: ``classify`` answers with ``answer`` or raises ``error``."""

    def __init__(self, label: str = "hockey", error: Exception | None = None) -> None:
        self.label, self.error = label, error

    def wait_loaded(self, timeout: float) -> bool:
        return True

    def classify(self, text: str) -> Answer:
        if self.error is not None:
            raise self.error
        return Answer(Prediction(self.label, 0.95, {self.label: 0.95}, "local-test"))


class _Inline:
    """An executor that runs each task at once, so a test sees its effect on return."""

    def submit(self, fn, *args):
        future: Future = Future()
        future.set_result(fn(*args))
        return future


def _tagger(database, slack_api, models: _Models) -> Tagger:
    # No gathering: each test's round tags what it queued (Gathering has its own tests).
    slack = SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, tag_delay_seconds=0)
    return Tagger(slack, TagStore(database), models, executor=_Inline())


def _tagged(tagger: Tagger, ts: str):
    tag = tagger.tags.tag_for("C1", ts)
    return tag if tag.status == TAGGED else None


def _message(ts: str, text: str = "the goalie stopped the puck") -> dict:
    return {"type": "message", "channel": "C1", "user": "UALICE", "text": text, "ts": ts}


def test_accept_stores_a_message_once_and_ignores_what_is_not_tagged(database, slack_api):
    tagger = _tagger(database, slack_api, _Models())

    assert tagger.accept(_message("1.1")) == QUEUED
    assert tagger.accept(_message("1.1")) == DUPLICATE
    assert tagger.accept({**_message("1.2"), "subtype": "message_changed"}) == IGNORED
    assert tagger.accept({**_message("1.3"), "bot_id": "B1"}) == IGNORED
    assert [row.ts for row in tagger.tags.queued_tags(10)] == ["1.1"]


def test_a_round_classifies_queued_messages_and_reacts(database, slack_api):
    tagger = _tagger(database, slack_api, _Models("hockey"))
    tagger.accept(_message("2.1"))

    assert tagger.work_once(make_client(tagger.slack)) == 1

    [call] = slack_api.calls_to("reactions.add")
    assert (call.params["timestamp"], call.params["name"]) == ("2.1", "ice_hockey_stick_and_puck")
    # Reactions' statuses are stored by a batching thread, a moment later.
    tag = wait_until(lambda: _tagged(tagger, "2.1"))
    assert (tag.label, tag.model_id, tag.reaction) == (
        "hockey",
        "local-test",
        "ice_hockey_stick_and_puck",
    )
    assert tagger.work_once(make_client(tagger.slack)) == 0  # nothing left in the queue


def test_without_a_model_messages_are_skipped_not_retried(database, slack_api, caplog):
    caplog.set_level(logging.INFO, logger="bot.tagger")
    tagger = _tagger(database, slack_api, _Models(error=NoModelError("no model")))
    tagger.accept(_message("3.1"))

    tagger.work_once(make_client(tagger.slack))

    assert tagger.tags.tag_for("C1", "3.1").status == SKIPPED
    assert "left untagged" in caplog.text
    assert slack_api.calls_to("reactions.add") == []


def test_a_failing_openai_model_marks_the_message_failed_with_one_warning(
    database, slack_api, caplog
):
    error = OpenAIError("The OpenAI model ft:babbage-002:x timed out.")
    tagger = _tagger(database, slack_api, _Models(error=error))
    tagger.accept(_message("4.1"))

    tagger.work_once(make_client(tagger.slack))

    assert tagger.tags.tag_for("C1", "4.1").status == FAILED
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "timed out" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_two_taggers_on_one_queue_react_once_per_message(database, slack_api):
    first = _tagger(database, slack_api, _Models("baseball"))
    second = _tagger(database, slack_api, _Models("baseball"))
    stamps = [f"5.{n}" for n in range(20)]
    for ts in stamps:
        first.accept(_message(ts, "a home run"))

    client = make_client(first.slack)
    workers = [threading.Thread(target=t.work_once, args=(client,)) for t in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)

    added = [call.params["timestamp"] for call in slack_api.calls_to("reactions.add")]
    assert sorted(added) == sorted(stamps)  # each message once, whichever tagger took it


def test_sportbot_tagger_setting_is_checked():
    assert Settings.from_env({}).slack.tagger == "process"
    assert Settings.from_env({"SPORTBOT_TAGGER": "Thread"}).slack.tagger == "thread"
    with pytest.raises(ConfigError, match="SPORTBOT_TAGGER"):
        Settings.from_env({"SPORTBOT_TAGGER": "cron"})


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_lone_message_is_tagged_at_the_next_look():
    gathering = Gathering(2.0, clock=_Clock())

    assert not gathering.ready([1], full=False)  # it may be the first of a burst
    assert gathering.waiting
    assert gathering.ready([1], full=False)  # nothing came after it
    assert not gathering.waiting


def test_a_burst_gathers_until_the_delay_then_the_whole_backlog_is_tagged():
    clock = _Clock()
    gathering = Gathering(2.0, clock=clock)
    backlog = list(range(1, 41))

    for arrived in (10, 20, 30):  # new messages at every look: acknowledgements first
        assert not gathering.ready(backlog[:arrived], full=False)
        clock.now += 0.5
    clock.now += 0.5  # the oldest has waited the delay, messages still arriving
    assert gathering.ready(list(range(1, BATCH + 1)), full=True)
    # Worked through in full batches without waiting, until a look finds less.
    assert gathering.ready(list(range(BATCH + 1, 2 * BATCH + 1)), full=True)
    assert gathering.ready([2 * BATCH + 1, 2 * BATCH + 2], full=False)
    # Then newer messages gather again.
    assert not gathering.ready([2 * BATCH + 3], full=False)
    assert gathering.waiting


def test_no_delay_tags_at_once_and_an_empty_queue_is_not_work():
    gathering = Gathering(0.0)

    assert gathering.ready([7], full=False)
    assert not gathering.ready([], full=False)
    assert not gathering.waiting


def test_the_tagger_leaves_arriving_messages_queued_until_they_stop(database, slack_api):
    slack = SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, tag_delay_seconds=30)
    tagger = Tagger(slack, TagStore(database), _Models("hockey"), executor=_Inline())
    client = make_client(slack)
    tagger.accept(_message("6.1"))

    assert tagger.work_once(client) == 0
    tagger.accept(_message("6.2"))  # still arriving
    assert tagger.work_once(client) == 0
    assert [row.ts for row in tagger.tags.queued_tags(10)] == ["6.1", "6.2"]

    assert tagger.work_once(client) == 2  # a look with nothing new: tag them
    added = [call.params["timestamp"] for call in slack_api.calls_to("reactions.add")]
    assert sorted(added) == ["6.1", "6.2"]


def test_the_tag_delay_setting_is_read_and_bounded():
    assert Settings.from_env({}).slack.tag_delay_seconds == 2.0
    env = {"SPORTBOT_TAG_DELAY_SECONDS": "0.5"}
    assert Settings.from_env(env).slack.tag_delay_seconds == 0.5
    with pytest.raises(ConfigError, match="SPORTBOT_TAG_DELAY_SECONDS"):
        Settings.from_env({"SPORTBOT_TAG_DELAY_SECONDS": "-1"})


class _ShutDown:
    """An executor after interpreter shutdown has begun: it refuses work."""

    def submit(self, fn, *args):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")


def test_an_exiting_process_leaves_pending_tags_quietly(database, slack_api, caplog):
    caplog.set_level(logging.INFO, logger="bot.tagger")
    slack = SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, tag_delay_seconds=0)
    tagger = Tagger(slack, TagStore(database), _Models("hockey"), executor=_ShutDown())
    tagger.accept(_message("7.1"))

    tagger.work_once(make_client(slack))

    assert tagger.tags.tag_for("C1", "7.1").status == "pending"  # resume_pending's
    assert tagger._stop.is_set()
    assert "leaves its pending tags" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
