"""Measure the local model against the issue's targets; exit 1 if one is missed.

    python benchmarks/local_model.py [--data /path/to/20news-bydate.tar.gz]

Trains once the way `sportbot train` does (collect the 20news train split with the
other groups and the seed lines, prepare, fit on the train file), or loads
``--model PATH``, then measures:
accuracy on the test split's 796 sport posts (``other`` counts wrong), the share
of the other 18 groups' test posts labelled ``other``, accuracy on
tests/data/chat_messages.jsonl, median single-message latency, load time,
artifact size and training time; and latency, load time and size of the scoring
arrays the Slack app's processes load (``.scorer.npz``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from training.classifiers.base import TextClassifier
from training.classifiers.local.artifacts import load, save
from training.classifiers.local.estimator import LocalModel
from training.classifiers.scoring import files
from training.data import Source, label_of, load_newsgroups
from training.pipeline.train import fit_local_offline

REPO = Path(__file__).resolve().parents[1]
CHAT = REPO / "tests" / "data" / "chat_messages.jsonl"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "20news-bydate.tar.gz"
MESSAGE_200 = (
    "Anyone catch the game last night? The bullpen blew a two-run lead in the ninth and "
    "then the manager left the closer in way too long. Trade deadline is next week, we "
    "need an arm or two, seriously."
)[:200]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "sportbot-cache"
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="measure this saved artifact (e.g. the one `sportbot train` made) instead of training",
    )
    args = parser.parse_args()
    source = Source(args.data, args.cache)

    rows = []
    if args.model:
        model = load(args.model)
    else:
        started = time.perf_counter()
        model = fit_local_offline(source, Path(tempfile.mkdtemp(prefix="sportbot-bench-")))
        rows.append(("training (load data + fit)", time.perf_counter() - started, "s", "<=", 60.0))
    rows += quality_rows(model, source)
    rows += speed_rows(model)
    return report(rows)


def quality_rows(model: LocalModel, source: Source) -> list[tuple]:
    test = load_newsgroups("test", None, source=source)
    truth = test["group"].map(label_of).to_numpy()
    predicted = model.predict(test["text"].tolist())
    sport = truth != "other"
    chat = [json.loads(line) for line in CHAT.read_text(encoding="utf-8").splitlines() if line]
    chat_pred = [model.classify(row["text"]).label for row in chat]
    chat_acc = float(np.mean([p == row["label"] for p, row in zip(chat_pred, chat, strict=True)]))
    return [
        (
            f"20news sport accuracy (n={sport.sum()})",
            (predicted[sport] == truth[sport]).mean(),
            "",
            ">=",
            0.98,
        ),
        (
            f"20news other -> other (n={(~sport).sum()})",
            (predicted[~sport] == "other").mean(),
            "",
            ">=",
            0.97,
        ),
        (f"chat accuracy (n={len(chat)})", chat_acc, "", ">=", 0.95),
    ]


def speed_rows(model: LocalModel) -> list[tuple]:
    """The model as training and the CLI load it (.skops), and as the Slack app's
    processes load it (its .scorer.npz: no scikit-learn)."""
    with tempfile.TemporaryDirectory() as folder:
        path = save(model, folder)
        start = time.perf_counter()
        load(path)
        load_s = time.perf_counter() - start
        scorer = files.scorer_path(path)
        start = time.perf_counter()
        scored = files.load(scorer, files.file_sha256(scorer))
        scorer_load_s = time.perf_counter() - start
        sizes = path.stat().st_size / 1e6, scorer.stat().st_size / 1e6
    return [
        ("median classify, 200 chars", median_classify_ms(model), "ms", "<=", 1.0),
        ("model load", load_s, "s", "<=", 2.0),
        ("artifact size", sizes[0], "MB", "<=", 50.0),
        ("scorer: median classify, 200 chars", median_classify_ms(scored), "ms", "<=", 1.0),
        ("scorer: load", scorer_load_s, "s", "<=", 2.0),
        ("scorer: file size", sizes[1], "MB", "<=", 50.0),
    ]


def median_classify_ms(classifier: TextClassifier) -> float:
    """Median of 1000 single-message predict_proba calls, after 50 to warm caches."""
    for _ in range(50):
        classifier.predict_proba([MESSAGE_200])
    timings = []
    for _ in range(1000):
        start = time.perf_counter()
        classifier.predict_proba([MESSAGE_200])
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def report(rows: list[tuple]) -> int:
    missed = 0
    print(f"{'measure':<40} {'value':>10}  {'target':>10}  ok")
    for name, value, unit, op, target in rows:
        ok = value >= target if op == ">=" else value <= target
        missed += not ok
        print(f"{name:<40} {value:>8.4f}{unit:>2}  {op}{target:>8}  {'yes' if ok else 'NO'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
