"""What every classifier looks like to the rest of sportbot.

A classifier is a fitted scikit-learn-style estimator over raw texts:
``classes_`` and ``predict_proba(texts)`` (rows in ``classes_`` order), plus
``model_id``. ``TextClassifier`` derives the rest of the face from those:
``predict``, ``classify(text)`` and ``classify_batch(texts)`` returning
``Prediction`` objects. The local scikit-learn model and the OpenAI
fine-tuned model both inherit it, so callers never care which one answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from training import states
from training.errors import ClassifyError

LABELS = states.LABELS
SPORT_LABELS = states.SPORTS
# Longer texts are cut before classifying: a Slack message is at most 40,000
# characters, and the first pages of a post say what it is about.
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class Prediction:
    """One classified text."""

    label: str
    confidence: float
    probabilities: dict[str, float]
    model: str

    def to_dict(self) -> dict:
        return asdict(self)


def clean_text(text: object) -> str:
    """The text to classify, or ClassifyError when there is nothing to classify."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise ClassifyError(f"Expected text, got {type(text).__name__}.")
    text = valid_text(text)
    if not text.strip():
        raise ClassifyError("Nothing to classify: the text is empty.")
    return text[:MAX_TEXT_CHARS]


def valid_text(text: str) -> str:
    """``text`` as every encoder, database and hasher takes it: NUL as a space
    (PostgreSQL refuses it), lone surrogates (which JSON's "\\ud800" escapes can
    make) as U+FFFD."""
    text = text.replace("\x00", " ")
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class TextClassifier:
    """Mixin: ``classify``/``classify_batch``/``predict`` from ``predict_proba``."""

    model_id: str
    classes_: np.ndarray

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.predict_proba(texts), axis=1)]

    def classify(self, text: str) -> Prediction:
        return self.classify_batch([text])[0]

    def classify_batch(self, texts: Sequence[str]) -> list[Prediction]:
        cleaned = [clean_text(text) for text in texts]
        if not cleaned:
            return []
        return [self._prediction(row) for row in self.predict_proba(cleaned)]

    def _prediction(self, row: np.ndarray) -> Prediction:
        best = int(np.argmax(row))
        probabilities = {str(label): float(p) for label, p in zip(self.classes_, row, strict=True)}
        return Prediction(
            label=str(self.classes_[best]),
            confidence=float(row[best]),
            probabilities=probabilities,
            model=self.model_id,
        )
