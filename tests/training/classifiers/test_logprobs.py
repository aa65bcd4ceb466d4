"""Merging top log-probabilities into class probabilities."""

from __future__ import annotations

import math

import pytest

from training.classifiers.logprobs import (
    class_probabilities,
    label_of_token,
    normalise_token,
    top_from_pairs,
)

pytestmark = pytest.mark.unit

SPORTS = ("baseball", "hockey")


def _lp(p: float) -> float:
    return math.log(p)


def test_walkthrough_example_gives_absent_class_nothing() -> None:
    probs = class_probabilities({" hockey": 0.0, " Hockey": -22.5}, SPORTS)
    assert probs["hockey"] == pytest.approx(1.0)
    assert probs["baseball"] == pytest.approx(0.0, abs=1e-9)


def test_missing_class_gets_the_remaining_mass() -> None:
    probs = class_probabilities({" hockey": _lp(0.6), " Hockey": _lp(0.2)}, SPORTS)
    assert probs == pytest.approx({"baseball": 0.2, "hockey": 0.8})


def test_remaining_mass_is_split_among_missing_classes() -> None:
    probs = class_probabilities({" hockey": _lp(0.5)}, ("baseball", "hockey", "other"))
    assert probs == pytest.approx({"baseball": 0.25, "hockey": 0.5, "other": 0.25})


def test_case_and_whitespace_variants_are_merged() -> None:
    top = {
        " hockey": _lp(0.4),
        " Hockey": _lp(0.2),
        "hockey": _lp(0.1),
        "HOCKEY": _lp(0.1),
        " baseball": _lp(0.2),
    }
    assert class_probabilities(top, SPORTS) == pytest.approx({"baseball": 0.2, "hockey": 0.8})


def test_unrelated_tokens_are_dropped_and_result_normalised() -> None:
    top = {" hockey": _lp(0.6), "\n": _lp(0.2), " the": _lp(0.1), " baseball": _lp(0.1)}
    probs = class_probabilities(top, SPORTS)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert probs == pytest.approx({"baseball": 0.1 / 0.7, "hockey": 0.6 / 0.7})


def test_all_mass_on_one_token() -> None:
    assert class_probabilities({" baseball": 0.0}, SPORTS) == pytest.approx(
        {"baseball": 1.0, "hockey": 0.0}
    )


def test_all_mass_on_an_unrelated_token_is_uniform() -> None:
    assert class_probabilities({"\n": 0.0}, SPORTS) == pytest.approx(
        {"baseball": 0.5, "hockey": 0.5}
    )


def test_empty_top_list_is_uniform() -> None:
    assert class_probabilities({}, SPORTS) == pytest.approx({"baseball": 0.5, "hockey": 0.5})


def test_label_prefix_counts_as_the_label() -> None:
    # 'hockey' without a space is 'h' + 'ockey' in cl100k_base.
    probs = class_probabilities({"h": _lp(0.7), " hock": _lp(0.2), " baseball": _lp(0.1)}, SPORTS)
    assert probs == pytest.approx({"baseball": 0.1, "hockey": 0.9})


def test_prefix_shared_by_two_labels_counts_for_none() -> None:
    labels = ("hockey", "hockeyball")
    assert label_of_token(" hock", labels) is None
    assert label_of_token(" Hockey", labels) == "hockey"


def test_token_longer_than_label_is_not_the_label() -> None:
    assert label_of_token(" hockeys", SPORTS) is None
    assert label_of_token("\n", SPORTS) is None


def test_probabilities_keep_label_order() -> None:
    probs = class_probabilities({" other": 0.0}, ("other", "baseball", "hockey"))
    assert list(probs) == ["other", "baseball", "hockey"]


def test_slightly_positive_logprob_is_treated_as_certainty() -> None:
    # The API sometimes returns 1e-7 where 0.0 is meant; exp() must not exceed 1.
    probs = class_probabilities({" hockey": 1e-7}, SPORTS)
    assert probs["hockey"] == pytest.approx(1.0)


def test_top_from_pairs_keeps_larger_duplicate() -> None:
    assert top_from_pairs([(" a", -2.0), (" a", -1.0), (" b", -3.0)]) == {" a": -1.0, " b": -3.0}


def test_normalise_token() -> None:
    assert normalise_token("  HoCkEy\n") == "hockey"


def test_empty_labels_is_an_error() -> None:
    with pytest.raises(ValueError, match="labels"):
        class_probabilities({" a": 0.0}, ())
