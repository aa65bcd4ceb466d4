"""Stage: collect every labelled example a training run learns from.

The 20 Newsgroups baseball/hockey training posts (as the walkthrough's
``sport2.jsonl``), the other 18 newsgroups' posts as ``other`` when the label
set has it, and every example people labelled in Slack since the start.
The result is a prompt/completion frame, ready for the preparation tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select

from training.classifiers.base import LABELS
from training.classifiers.local import seed_examples
from training.data import OTHER_GROUPS, OTHER_LABEL, Source, load_newsgroups, sport_prompts
from training.db import Database
from training.schema import Example


@dataclass(frozen=True)
class Collected:
    """The examples of one run, and the newest Slack example id they include."""

    frame: pd.DataFrame  # columns: prompt, completion (bare labels, no leading space)
    examples_upto: int
    counts: dict[str, int]
    # Hand-written seed lines: curated knowledge (present-day teams, chatter), always
    # trained on and never held out, so validation measures real posts and feedback.
    seed: pd.DataFrame = field(default_factory=lambda: _empty())


def collect(
    source: Source, db: Database | None = None, *, labels: Sequence[str] = LABELS
) -> Collected:
    """All training examples for ``labels``: newsgroup posts plus Slack feedback."""
    parts = [sport_prompts("train", source=source)]
    if OTHER_LABEL in labels:
        others = load_newsgroups("train", OTHER_GROUPS, source=source)
        parts.append(
            pd.DataFrame({"prompt": others["text"].str.strip(), "completion": OTHER_LABEL})
        )
    feedback, upto = slack_examples(db, labels) if db is not None else (_empty(), 0)
    parts.append(feedback)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["prompt"].str.strip().astype(bool)].reset_index(drop=True)
    seed = seed_frame(labels)
    counts = {str(k): int(v) for k, v in frame["completion"].value_counts().items()}
    return Collected(frame=frame, examples_upto=upto, counts=counts, seed=seed)


def seed_frame(labels: Sequence[str]) -> pd.DataFrame:
    """The short hand-written messages shipped with sportbot (present-day teams, chatter)."""
    texts, seed_labels = seed_examples()
    frame = pd.DataFrame({"prompt": texts, "completion": seed_labels})
    return frame[frame["completion"].isin(labels)]


def slack_examples(db: Database, labels: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """People's labelled examples with a label in ``labels``, and the newest example id."""
    with db.session() as session:
        rows = session.execute(
            select(Example.id, Example.text, Example.label).order_by(Example.id)
        ).all()
    kept = [(text, label) for _, text, label in rows if label in labels and text.strip()]
    frame = pd.DataFrame(kept, columns=["prompt", "completion"]) if kept else _empty()
    return frame, max((row.id for row in rows), default=0)


def newest_example_id(db: Database) -> int:
    """The id of the newest labelled example (0 when there is none)."""
    with db.session() as session:
        return int(session.scalar(select(func.max(Example.id))) or 0)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"prompt": pd.Series(dtype=str), "completion": pd.Series(dtype=str)})
