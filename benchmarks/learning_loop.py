"""How much should one correction weigh? A made-up community teaches sportbot.

``benchmarks/data/community.jsonl`` is written by the sportbot authors for this
benchmark (a hockey team's and a baseball team's game threads with invented
players and slang, and a developer channel): no real message is in it. It
shuffles them, lets ``--teachers`` people label ``--taught`` of them (votes in a
fresh database, as reactions store them), retrains the local model through the
pipeline's own stages (collect, prepare, weights file, ``LocalModel.fit`` with
``sample_weight``) once per candidate weight, and prints accuracy on the
community's other messages, on the taught ones and on the 20 Newsgroups test
split, and how often the reaction sportbot would add is right (threshold 0.8).

    python benchmarks/learning_loop.py                     # weights 0 (no teaching),1,4,8,16,32
    python benchmarks/learning_loop.py --weights 0,8 --taught 30
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training import preparation as prep  # noqa: E402
from training.classifiers.base import LABELS  # noqa: E402
from training.classifiers.local.estimator import LocalModel  # noqa: E402
from training.config import Settings, TeachingSettings  # noqa: E402
from training.data import Source, label_of, load_newsgroups  # noqa: E402
from training.pipeline.collect import (  # noqa: E402
    collect,
    sample_weights,
    slack_examples,
    write_weights,
)
from training.storage.database import connect  # noqa: E402
from training.storage.teaching import source_key  # noqa: E402
from training.storage.votes import VoteStore  # noqa: E402

COMMUNITY = Path(__file__).with_name("data") / "community.jsonl"
THRESHOLD = 0.8
CHANNEL = "CCOMMUNITY"


def main() -> None:
    args = _arguments()
    archive = Path(
        os.environ.get("SPORTBOT_20NEWS") or REPO.parent / "shared/data/20news-bydate.tar.gz"
    )
    source = Source(archive, Path(tempfile.gettempdir()) / "sportbot-bench-cache")
    messages = [json.loads(line) for line in COMMUNITY.read_text().splitlines() if line]
    random.Random(args.seed).shuffle(messages)
    taught, others = messages[: args.taught], messages[args.taught :]
    news = load_newsgroups("test", None, source=source)
    news_texts, news_truth = news["text"].tolist(), news["group"].map(label_of).to_numpy()
    collected = collect(source)
    prepared = prep.prepare(collected.frame, model="babbage-002")
    print(
        f"{len(taught)} taught by {args.teachers} people, {len(others)} other community messages, "
        f"{len(news_texts)} 20news test posts"
    )
    print("| weight | community others | right reaction | taught | 20news test | fit s |")
    print("|---|---|---|---|---|---|")
    for weight in args.weights:
        started = time.monotonic()
        model = _retrained(source, prepared, collected, taught, weight, args.teachers)
        seconds = time.monotonic() - started
        print(
            f"| {weight:g} | {_accuracy(model, others):.3f} | {_right_reaction(model, others):.3f} "
            f"| {_accuracy(model, taught):.3f} "
            f"| {np.mean(model.predict(news_texts) == news_truth):.4f} | {seconds:.0f} |",
            flush=True,
        )


def _retrained(source, prepared, collected, taught, weight, teachers) -> LocalModel:
    with tempfile.TemporaryDirectory(prefix="sportbot-loop-") as home:
        db = connect(Settings(home=Path(home)))
        votes = VoteStore(db)
        for number, row in enumerate(taught):
            ts = f"{1700000000 + number}.000100"
            votes.cast(
                key=source_key(CHANNEL, ts, row["text"]),
                text=row["text"],
                label=row["label"],
                user=f"U{number % teachers}",
                is_admin=False,
                source="reaction",
                channel=CHANNEL,
                ts=ts,
            )
        corrections, _ = slack_examples(db, LABELS, TeachingSettings(correction_weight=weight))
        db.engine.dispose()
        folder = Path(home) / "run"
        train_path, _ = prep.write_prepared(
            prep.with_training_only(prepared, _training_only(collected, corrections)),
            folder / "examples.jsonl",
        )
        write_weights(folder, corrections)
        train = prep.read_prepared(train_path)
        texts, labels = train["text"].tolist(), train["label"].tolist()
        return LocalModel().fit(texts, labels, sample_weight=sample_weights(folder, texts, labels))


def _training_only(collected, corrections):
    return dataclasses.replace(collected, corrections=corrections).training_only()


def _accuracy(model: LocalModel, rows: list[dict]) -> float:
    predicted = model.predict([row["text"] for row in rows])
    return float(np.mean([p == row["label"] for p, row in zip(predicted, rows, strict=True)]))


def _right_reaction(model: LocalModel, rows: list[dict]) -> float:
    """The reaction sportbot adds (a sport's emoji at >= 0.8, else none) is the right one."""
    right = 0
    for row in rows:
        prediction = model.classify(row["text"])
        reacted = (
            prediction.label
            if prediction.label != "other" and (prediction.confidence >= THRESHOLD)
            else "other"
        )
        right += reacted == row["label"]
    return right / len(rows)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taught", type=int, default=30)
    parser.add_argument("--teachers", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--weights", type=lambda v: [float(w) for w in v.split(",")], default=[0, 1, 4, 8, 16, 32]
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
