"""Writes the local-model artifact ``tests/training/classifiers/test_artifact_compat.py`` loads.

Run once, with the code whose artifacts must keep loading (see README.md here):
``PYTHONPATH=. python tests/data/artifacts/make_artifact.py``. It fits a tiny
``LocalModel`` (small hash spaces, no shipped word lists, so the file stays small
and does not change when the lists do), saves it with ``save()`` and records the
probabilities it gives a few texts in ``expected.json``.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np

from training.classifiers.local import artifacts
from training.classifiers.local.estimator import LocalModel
from training.classifiers.scoring import files

HERE = Path(__file__).resolve().parent
MODEL_DIR = HERE / "local"
WORDS = {
    "baseball": ["pitcher", "inning", "homer", "bullpen", "shortstop", "umpire", "dugout"],
    "hockey": ["goalie", "puck", "rink", "slapshot", "faceoff", "icing", "defenseman"],
    "other": ["deploy", "lunch", "meeting", "invoice", "printer", "standup", "laptop"],
}
PROBES = [
    "the pitcher threw a homer in the ninth inning",
    "goalie stopped the puck on the powerplay",
    "lunch meeting after the standup",
    "Subject: Re: bullpen woes\nFrom: fan@example.com\nLines: 3\n\nthe bullpen blew it again",
    "",
]


def examples() -> tuple[list[str], list[str]]:
    rng = random.Random(0)
    texts, labels = [], []
    for label, words in WORDS.items():
        for _ in range(20):
            texts.append(" ".join(rng.choices(words, k=8)))
            labels.append(label)
    return texts, labels


def main() -> None:
    model = LocalModel(word_features=2**10, char_features=2**10, max_iter=5, knowledge=False).fit(
        *examples()
    )
    shutil.rmtree(MODEL_DIR, ignore_errors=True)
    path = artifacts.save(model, MODEL_DIR)
    expected = {
        "artifact": f"local/{path.name}",
        "sha256": files.file_sha256(path),
        "scorer_sha256": files.file_sha256(files.scorer_path(path)),
        "classes": [str(label) for label in model.classes_],
        "probes": PROBES,
        # The lean path (one text at a time, numpy only) and scikit-learn's.
        "proba": model.predict_proba(PROBES).tolist(),
        "full_proba": np.exp(model.decision_function(PROBES)).tolist(),
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    print(path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
