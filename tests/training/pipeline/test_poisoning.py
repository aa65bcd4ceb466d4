"""Issue 14's attack: one person labels 84 hockey messages ``baseball``, then a retrain.

The run learns from the real training data (20 Newsgroups, the seed) and the
attacker's votes through the pipeline's own stages: collect (the rule and the
caps), prepare, the weights file, ``LocalModel.fit(sample_weight=...)``. One person
contradicting sportbot's sure tags teaches nothing until someone else agrees,
and their other labels are capped. The model is a smaller configuration of the
local model, so that two fits stay fast; the control fit shows the attack does
work once those rules are lifted.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from training import preparation as prep
from training.classifiers.local.estimator import LocalModel
from training.config import SlackSettings, TeachingSettings
from training.pipeline.collect import collect, sample_weights, write_weights
from training.storage.teaching import source_key
from training.storage.votes import VoteStore

pytestmark = pytest.mark.needs_data

TARGET = "the goalie stopped the puck on the power play, game 7"
FAST = {"word_features": 2**16, "char_features": 2**16, "max_iter": 8, "embedding_weight": 0.0}
SUBJECTS = ["the goalie", "our tendy", "the winger", "the captain", "the d-man", "the rookie"]
ACTIONS = ["stopped the puck", "scored on the power play", "won the faceoff", "blocked the shot"]
PLACES = ["in overtime", "in the third period", "on the penalty kill", "at the blue line"]


def _attack_lines() -> list[str]:
    lines = [" ".join(parts) for parts in itertools.product(SUBJECTS, ACTIONS, PLACES)]
    return lines[:84]


@pytest.fixture(scope="module")
def prepared(news_source):
    collected = collect(news_source)
    return collected, prep.prepare(collected.frame, model="babbage-002")


def _retrained(database, news_source, prepared, folder: Path, teaching) -> LocalModel:
    collected = collect(news_source, database, teaching=teaching)
    assert collected.frame.equals(prepared[0].frame)  # the posts the module prepared
    train_path, _ = prep.write_prepared(
        prep.with_training_only(prepared[1], collected.training_only()), folder / "examples.jsonl"
    )
    write_weights(folder, collected.corrections)
    train = prep.read_prepared(train_path)
    texts, labels = train["text"].tolist(), train["label"].tolist()
    weights = sample_weights(folder, texts, labels)
    return LocalModel(**FAST).fit(texts, labels, sample_weight=weights)


def test_one_person_labelling_84_hockey_messages_baseball_cannot_flip_the_goalie(
    database, news_source, prepared, tmp_path
):
    votes = VoteStore(database)
    for number, line in enumerate(_attack_lines()):
        ts = f"{1700000000 + number}.000100"
        votes.cast(
            key=source_key("C0SPORT", ts, line),
            text=line,
            label="baseball",
            user="UATTACKER",
            is_admin=False,
            source="reaction",
            channel="C0SPORT",
            ts=ts,
            # As reactions store them: sportbot had tagged these hockey, surely.
            model_label="hockey",
            model_confidence=0.99,
        )
    threshold = SlackSettings().threshold

    capped = _retrained(database, news_source, prepared, tmp_path / "capped", TeachingSettings())
    uncapped = _retrained(
        database,
        news_source,
        prepared,
        tmp_path / "uncapped",
        TeachingSettings(cap_day=1e9, cap_total=1e9, sure_confidence=1.01),
    )

    assert capped.metadata_["n_examples"] == uncapped.metadata_["n_examples"] - 84
    defended = capped.classify(TARGET)
    assert (defended.label, defended.confidence >= threshold) == ("hockey", True)
    attacked = uncapped.classify(TARGET)
    assert attacked.label != "hockey" or attacked.confidence < threshold  # the attack is real
