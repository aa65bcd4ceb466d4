"""Small pure pieces: parsing, charts, error messages, dedup."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.error_handler import user_message
from bot.listeners.wiring import bind
from bot.sport_text import parse
from training.errors import NoModelError
from training.storage.deliveries import DeliveryStore
from training.storage.tags import TagStore
from training.storage.votes import VoteStore

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("help", "")),
        ("Help", ("help", "")),
        ("status", ("status", "")),
        ("retrain", ("retrain", "")),
        ("--public Puck drop", ("classify_public", "Puck drop")),
        ("say Puck drop", ("classify_public", "Puck drop")),
        ("status of the pitcher", ("classify", "status of the pitcher")),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


def test_accuracy_chart_draws_a_bar_per_run_oldest_first():
    runs = [SimpleNamespace(id=2, accuracy=1.0), SimpleNamespace(id=1, accuracy=0.5)]

    chart = blocks.accuracy_chart(runs, width=10).strip("`").splitlines()

    assert chart[0].startswith("#1")
    assert chart[0].count("█") == 5
    assert chart[1].startswith("#2")
    assert chart[1].count("█") == 10


def test_user_messages_are_actionable():
    assert "/sport retrain" in user_message(NoModelError("none"))
    error = SlackApiError("x", {"ok": False, "error": "not_in_channel"})
    assert "/invite" in user_message(error)


def test_bind_fills_keyword_only_collaborators_and_hides_them_from_bolt():
    import inspect

    def listener(ack, body, *, feedback):
        return ack, body, feedback

    bound = bind(listener, {"feedback": "F", "unused": 1})

    assert inspect.getfullargspec(bound).args == ["ack", "body"]
    assert bound("A", "B") == ("A", "B", "F")
    with pytest.raises(TypeError, match="feedback"):
        bind(listener, {})


def test_claim_event_is_true_once(database):
    deliveries = DeliveryStore(database)

    assert deliveries.claim_event("Ev1") is True
    assert deliveries.claim_event("Ev1") is False
    assert DeliveryStore(database).claim_event("Ev1") is False


def test_weekly_counts(database):
    tags = TagStore(database)
    for ts in ("1", "2"):
        tags.queue_tag(channel="C", ts=ts, text="t")
    tagged, skipped = tags.queued_tags(2)
    tags.settle_queued(
        [
            {"tag_id": tagged.id, "label": "hockey", "confidence": 0.9, "model_id": "m"}
            | {"reaction": "hockey", "status": "tagged"},
            {"tag_id": skipped.id, "label": "other", "confidence": 0.9, "model_id": "m"}
            | {"reaction": None, "status": "skipped"},
        ]
    )
    tags.correct_tag(channel="C", ts="1", label="baseball", user="U", reaction="baseball")
    VoteStore(database).record_example(
        text="t", label="baseball", user="U", channel="C", ts="1", source="button"
    )

    counts = tags.weekly_counts()

    assert (counts.tagged, counts.corrected, counts.examples) == (1, 1, 1)
