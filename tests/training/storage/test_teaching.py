"""The rule that turns people's votes into examples, and the weights they get."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from training.config import TeachingSettings
from training.storage.teaching import Vote, newest_per_person, source_key, taught, winning_label

pytestmark = pytest.mark.unit

DAY = datetime(2026, 12, 1, 12, tzinfo=UTC)
SETTINGS = TeachingSettings(cap_day=10, cap_total=30, admin_vote_weight=3, correction_weight=2.0)
_ids = iter(range(1, 100_000))


def vote(label, user="UA", key="msg:C1:1.1", *, admin=False, at=DAY, text="text", said=None):
    model = said or (None, None)
    return Vote(next(_ids), key, text, label, user, admin, at, *model)


def test_keys_are_the_message_or_the_normalised_text():
    assert source_key("C1", "1.1", "anything") == "msg:C1:1.1"
    assert source_key(None, None, "The  Goalie\n") == source_key("C1", None, "the goalie")
    assert source_key(None, None, "the goalie") != source_key(None, None, "the pitcher")


def test_a_persons_newest_label_counts_once():
    votes = [vote("baseball"), vote("hockey"), vote("hockey")]

    [kept] = newest_per_person(votes)["msg:C1:1.1"]

    assert (kept.label, kept.id) == ("hockey", votes[-1].id)
    [item] = taught(votes, SETTINGS)
    assert (item.label, item.weight) == ("hockey", 2.0)  # one person, one credit


def test_majority_wins_and_a_tie_teaches_nothing():
    assert winning_label([vote("hockey", "UA"), vote("hockey", "UB"), vote("other", "UC")]) == (
        "hockey"
    )
    assert winning_label([vote("hockey", "UA"), vote("baseball", "UB")]) is None
    assert taught([vote("hockey", "UA"), vote("baseball", "UB")], SETTINGS) == []


def test_an_admins_word_wins_over_any_majority():
    votes = [vote("baseball", f"U{n}") for n in range(5)] + [vote("hockey", "UADM", admin=True)]

    assert winning_label(votes) == "hockey"
    [item] = taught(votes, SETTINGS)
    assert item.supporters == ("UADM",)
    assert item.weight == 2.0 * 3  # an admin counts as admin_vote_weight people


def test_people_who_agree_count_for_more_up_to_an_admins_worth():
    two = taught([vote("hockey", "UA"), vote("hockey", "UB")], SETTINGS)
    many = taught([vote("hockey", f"U{n}") for n in range(6)], SETTINGS)

    assert two[0].weight == 2.0 * 2
    assert many[0].weight == 2.0 * 3


def test_one_persons_day_of_labels_weighs_at_most_cap_day_corrections():
    votes = [vote("baseball", "UBAD", key=f"msg:C1:{n}.1") for n in range(84)]

    items = taught(votes, SETTINGS)

    assert len(items) == 84
    assert sum(item.weight for item in items) == pytest.approx(2.0 * 10)


def test_over_many_days_a_person_weighs_at_most_cap_total():
    votes = [
        vote("baseball", "UBAD", key=f"msg:C1:{day}.{n}", at=DAY + timedelta(days=day))
        for day in range(10)
        for n in range(10)
    ]

    total = sum(item.weight for item in taught(votes, SETTINGS))

    assert total == pytest.approx(2.0 * 30)


def test_one_persons_cap_leaves_everyone_elses_weight_alone():
    flood = [vote("baseball", "UBAD", key=f"msg:C1:{n}.1") for n in range(50)]
    honest = [vote("hockey", "UGOOD", key="msg:C1:999.1")]

    by_key = {item.key: item for item in taught(flood + honest, SETTINGS)}

    assert by_key["msg:C1:999.1"].weight == 2.0
    assert by_key["msg:C1:0.1"].weight == pytest.approx(2.0 * 10 / 50)


def test_admins_are_not_capped():
    votes = [vote("hockey", "UADM", key=f"msg:C1:{n}.1", admin=True) for n in range(40)]

    assert sum(item.weight for item in taught(votes, SETTINGS)) == 2.0 * 3 * 40


def test_labels_outside_the_runs_labels_are_left_out():
    assert taught([vote("other")], SETTINGS, labels=("baseball", "hockey")) == []


def test_one_person_contradicting_a_sure_answer_teaches_nothing_until_someone_agrees():
    sure = ("hockey", 0.99)
    alone = [vote("baseball", "UA", said=sure)]
    seconded = [*alone, vote("baseball", "UB", said=sure)]
    admin = [vote("baseball", "UADM", admin=True, said=sure)]
    unsure = [vote("baseball", "UA", said=("hockey", 0.6))]
    untagged_other = [vote("hockey", "UA", said=("other", 0.99))]

    assert taught(alone, SETTINGS) == []
    assert [item.label for item in taught(seconded, SETTINGS)] == ["baseball"]
    assert [item.label for item in taught(admin, SETTINGS)] == ["baseball"]
    assert [item.label for item in taught(unsure, SETTINGS)] == ["baseball"]
    assert [item.label for item in taught(untagged_other, SETTINGS)] == ["hockey"]
