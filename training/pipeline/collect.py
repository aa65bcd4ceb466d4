"""Stage: collect every labelled example a training run learns from.

The 20 Newsgroups baseball/hockey training posts (as the walkthrough's
``sport2.jsonl``), the other 18 newsgroups' posts as ``other`` when the label
set has it: a prompt/completion frame, ready for the preparation tool. And
what people taught in Slack (``training.storage.teaching``: one label per message,
weighted), kept apart: it is trained on, never held out, with its weights in a
``weights.jsonl`` beside the prepared files for the local model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from training.classifiers.base import LABELS
from training.classifiers.local.seeds import seed_examples
from training.config import TeachingSettings
from training.data import OTHER_GROUPS, OTHER_LABEL, Source, load_newsgroups, sport_prompts
from training.storage.database import Database
from training.storage.schema import Example
from training.storage.teaching import Taught, taught
from training.storage.votes import VoteStore

WEIGHTS_FILE = "weights.jsonl"


@dataclass(frozen=True)
class Collected:
    """The examples of one run, and the newest Slack example id they include."""

    frame: pd.DataFrame  # columns: prompt, completion (bare labels, no leading space)
    examples_upto: int
    counts: dict[str, int]
    # Hand-written seed lines: curated knowledge (present-day teams, chatter), always
    # trained on and never held out, so validation measures real posts and feedback.
    seed: pd.DataFrame = field(default_factory=lambda: _empty())
    # What people taught in Slack: prompt, completion, weight (training only).
    corrections: pd.DataFrame = field(default_factory=lambda: _empty_weighted())

    def training_only(self) -> pd.DataFrame:
        """The rows added to the training set only: the seed, then the corrections."""
        return pd.concat([self.seed, self.corrections[["prompt", "completion"]]], ignore_index=True)


def collect(
    source: Source,
    db: Database | None = None,
    *,
    labels: Sequence[str] = LABELS,
    teaching: TeachingSettings | None = None,
) -> Collected:
    """All training examples for ``labels``: newsgroup posts plus Slack feedback."""
    parts = [sport_prompts("train", source=source)]
    if OTHER_LABEL in labels:
        others = load_newsgroups("train", OTHER_GROUPS, source=source)
        parts.append(
            pd.DataFrame({"prompt": others["text"].str.strip(), "completion": OTHER_LABEL})
        )
    corrections, upto = (
        slack_examples(db, labels, teaching or TeachingSettings())
        if db is not None
        else (_empty_weighted(), 0)
    )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["prompt"].str.strip().astype(bool)].reset_index(drop=True)
    seed = seed_frame(labels)
    every = pd.concat([frame["completion"], corrections["completion"]])
    counts = {str(k): int(v) for k, v in every.value_counts().items()}
    return Collected(
        frame=frame, examples_upto=upto, counts=counts, seed=seed, corrections=corrections
    )


def seed_frame(labels: Sequence[str]) -> pd.DataFrame:
    """The short hand-written messages shipped with sportbot (present-day teams, chatter)."""
    texts, seed_labels = seed_examples()
    frame = pd.DataFrame({"prompt": texts, "completion": seed_labels})
    return frame[frame["completion"].isin(labels)]


def slack_examples(
    db: Database, labels: Sequence[str], teaching: TeachingSettings
) -> tuple[pd.DataFrame, int]:
    """What people taught with a label in ``labels`` (one row per message, with its
    weight), and the newest example id."""
    rows = [(item.text, item.label, item.weight) for item in taught_examples(db, labels, teaching)]
    frame = (
        pd.DataFrame(rows, columns=["prompt", "completion", "weight"])
        if rows
        else _empty_weighted()
    )
    return frame, newest_example_id(db)


def taught_examples(
    db: Database, labels: Sequence[str], teaching: TeachingSettings
) -> list[Taught]:
    """What people taught that a run trains on: one per message, with a text and a weight."""
    items = taught(VoteStore(db).accepted(), teaching, labels=labels)
    return [item for item in items if item.text.strip() and item.weight > 0]


def write_weights(folder: Path, corrections: pd.DataFrame) -> Path:
    """The corrections' weights beside a run's prepared files (the local model reads them)."""
    path = Path(folder) / WEIGHTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for prompt, completion, weight in corrections[["prompt", "completion", "weight"]].values:
            row = {"text": prompt, "label": completion, "weight": float(weight)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def read_weights(folder: Path) -> list[dict]:
    """The rows of a run's weights file (``text``, ``label``, ``weight``); none without one."""
    path = Path(folder) / WEIGHTS_FILE
    if not path.is_file():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def corrected_examples(folder: Path) -> pd.DataFrame:
    """The corrections a run trained on (``text``, ``label``), from its weights file."""
    rows = [(row["text"], row["label"]) for row in read_weights(folder)]
    return pd.DataFrame(rows, columns=["text", "label"])


def sample_weights(folder: Path, texts: Sequence[str], labels: Sequence[str]) -> list[float]:
    """Each training example's weight: a correction's from ``weights.jsonl``, else 1."""
    weights = {(row["text"], row["label"]): float(row["weight"]) for row in read_weights(folder)}
    return [weights.get((text, label), 1.0) for text, label in zip(texts, labels, strict=True)]


def newest_example_id(db: Database) -> int:
    """The id of the newest labelled example (0 when there is none)."""
    with db.session() as session:
        return int(session.scalar(select(func.max(Example.id))) or 0)


def _empty_weighted() -> pd.DataFrame:
    return _empty().assign(weight=pd.Series(dtype=float))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"prompt": pd.Series(dtype=str), "completion": pd.Series(dtype=str)})
