"""Issue 14's scenario end to end: a community's messages arrive in a channel, people
teach sportbot with reactions alone (a sport's emoji, or the not-sports emoji on a
wrong tag), an admin runs ``sportbot train``, and the new model knows the community.

The community is ``benchmarks/data/community.jsonl``: game threads of a made-up
hockey team and baseball team (invented players and slang) and a developer channel,
written by the sportbot authors. Signed events go into the app, reactions and
``users.info`` go through the strict Slack stand-in, training is the real command.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.bot.conftest import CHANNEL, SECRET, FakeRetrain, ServedBot, wait_until
from training.classifiers.loading import load_classifier
from training.config import SlackSettings
from training.data import label_of, load_newsgroups
from training.storage.database import connect
from training.storage.registry import ModelRegistry
from training.storage.votes import VoteStore

pytestmark = [pytest.mark.e2e, pytest.mark.needs_data]

REPO = Path(__file__).resolve().parents[2]
COMMUNITY = REPO / "benchmarks" / "data" / "community.jsonl"
TAUGHT = 30
TEACHERS = ("UT1", "UT2", "UT3", "UT4", "UT5")
EMOJI = {"baseball": "baseball", "hockey": "ice_hockey_stick_and_puck", "other": "x"}


def _train(home: Path, archive: Path) -> None:
    env = {**os.environ, "SPORTBOT_HOME": str(home), "SPORTBOT_20NEWS": str(archive)}
    for name in ("DATABASE_URL", "OPENAI_API_KEY", "SPORTBOT_BACKEND"):
        env.pop(name, None)
    command = [str(Path(sys.executable).with_name("sportbot")), "train", "--backend", "local"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr or done.stdout


def _accuracy(model, rows: list[dict]) -> float:
    predicted = model.predict([row["text"] for row in rows])
    return float(np.mean([p == row["label"] for p, row in zip(predicted, rows, strict=True)]))


def test_a_community_teaches_with_reactions_and_one_retrain_learns_it(
    settings, slack_api, news_archive, news_source
) -> None:
    rows = [json.loads(line) for line in COMMUNITY.read_text("utf-8").splitlines() if line]
    random.Random(0).shuffle(rows)
    taught, others = rows[:TAUGHT], rows[TAUGHT:]

    _train(settings.home, news_archive)  # the model the channel starts with
    db = connect(settings)
    registry = ModelRegistry(db)
    before = load_classifier(registry.active(), settings)

    for user in (*TEACHERS, "UALICE"):
        slack_api.set_user(user)
    bot_settings = settings.with_changes(
        slack=SlackSettings(
            bot_token="xoxb-test",
            signing_secret=SECRET,
            api_url=slack_api.url,
            tagger="thread",
        )
    )
    from bot.web import create_app

    bot = ServedBot(create_app(bot_settings, db=db, retrain=FakeRetrain()), slack_api)
    try:
        feedback = bot.services.tags
        for number, row in enumerate(taught):
            bot.message(row["text"], ts=f"100.{number:04d}")
        tags = [
            wait_until(
                lambda ts=f"100.{n:04d}": (
                    (t := feedback.tag_for(CHANNEL, ts)) and t.status in ("tagged", "skipped") and t
                ),
                timeout=60,
            )
            for n in range(len(taught))
        ]
        reacted = 0
        for number, (row, tag) in enumerate(zip(taught, tags, strict=True)):
            shown = tag.label if tag.status == "tagged" else "other"
            if shown == row["label"]:
                continue  # nothing to teach: the channel sees the right answer already
            reacted += 1
            # Two people each: where the model was sure, one person's label alone is
            # not trained on (the rule against poisoning), and a community has several.
            for teacher in (TEACHERS[number % 5], TEACHERS[(number + 1) % 5]):
                event = {
                    "type": "reaction_added",
                    "user": teacher,
                    "reaction": EMOJI[row["label"]],
                    "item": {"type": "message", "channel": CHANNEL, "ts": f"100.{number:04d}"},
                    "item_user": "UALICE",
                    "event_ts": f"200.{number:04d}",
                }
                assert bot.event(event).status == 200
        votes = VoteStore(db)
        wait_until(lambda: len(votes.corrections()) >= 2 * reacted, timeout=30)
    finally:
        bot.close()

    _train(settings.home, news_archive)  # what an admin runs
    after = load_classifier(ModelRegistry(connect(settings)).active(), settings)
    test = load_newsgroups("test", None, source=news_source)
    truth = test["group"].map(label_of).to_numpy()
    news = [(m.predict(test["text"].tolist()) == truth).mean() for m in (before, after)]
    figures = {
        "taught messages reacted to": reacted,
        "other messages before / after": (_accuracy(before, others), _accuracy(after, others)),
        "taught messages before / after": (_accuracy(before, taught), _accuracy(after, taught)),
        "20 Newsgroups test before / after": tuple(news),
    }
    print(figures)  # the figures the issue asks to report (pytest -s shows them)

    assert reacted > 0
    assert _accuracy(after, taught) >= 0.95
    assert _accuracy(after, others) > _accuracy(before, others)
    assert news[1] >= news[0] - 0.005
