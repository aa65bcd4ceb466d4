"""The queue of messages to tag: stored by web processes, settled by taggers."""

from __future__ import annotations

import pytest

from training.storage.tags import PENDING, QUEUED, SKIPPED, TagStore

pytestmark = pytest.mark.unit


def _settled(tag_id: int, status: str = PENDING) -> dict:
    return {
        "tag_id": tag_id,
        "label": "hockey",
        "confidence": 0.93,
        "model_id": "local-x",
        "reaction": "ice_hockey_stick_and_puck" if status == PENDING else None,
        "status": status,
    }


def test_a_message_is_queued_once(database):
    feedback = TagStore(database)

    assert feedback.queue_tag(channel="C1", ts="1.1", text="the goalie") is True
    assert feedback.queue_tag(channel="C1", ts="1.1", text="the goalie") is False  # redelivery
    assert TagStore(database).queue_tag(channel="C1", ts="1.1", text="x") is False

    [queued] = feedback.queued_tags(10)
    assert (queued.channel, queued.ts, queued.text) == ("C1", "1.1", "the goalie")
    tag = feedback.tag_for("C1", "1.1")
    assert (tag.status, tag.label, tag.confidence) == (QUEUED, None, None)


def test_queued_tags_come_oldest_first_and_settled_ones_leave_the_queue(database):
    feedback = TagStore(database)
    for n in range(5):
        feedback.queue_tag(channel="C1", ts=f"{n}.1", text=f"message {n}")

    first = feedback.queued_tags(3)
    assert [row.ts for row in first] == ["0.1", "1.1", "2.1"]
    assert feedback.settle_queued([_settled(first[0].id), _settled(first[1].id, SKIPPED)]) == [
        True,
        True,
    ]
    assert [row.ts for row in feedback.queued_tags(10)] == ["2.1", "3.1", "4.1"]
    tag = feedback.tag_for("C1", "0.1")
    assert (tag.status, tag.label, tag.reaction) == (PENDING, "hockey", "ice_hockey_stick_and_puck")


def test_only_the_first_tagger_to_settle_a_message_owns_it(database):
    feedback = TagStore(database)
    feedback.queue_tag(channel="C1", ts="9.1", text="the goalie")
    [row] = feedback.queued_tags(1)

    assert feedback.settle_queued([_settled(row.id)]) == [True]
    assert TagStore(database).settle_queued([_settled(row.id, SKIPPED)]) == [False]
    assert feedback.tag_for("C1", "9.1").status == PENDING  # the second did not overwrite it
