"""``Scorer``, a fitted local model's scoring arrays, and ``ScoredModel``, the
model the Slack app serves from them.

Imports numpy, ``mmh3`` (through ``hashing``) and the token embeddings; never
scikit-learn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from training.classifiers.base import MAX_TEXT_CHARS, TextClassifier
from training.classifiers.embedding import TokenEmbeddings
from training.classifiers.scoring.hashing import char_wb_ngrams, hash_column, word_ngrams
from training.classifiers.scoring.posts import split, thread_of
from training.classifiers.scoring.stages import blend_short, compose


@dataclass(eq=False)
class Scorer:
    """A fitted local model's scoring arrays; ``proba(text)`` is its ``predict_proba`` row.

    ``table`` has one row per hashed feature (word columns, then character
    columns): each stage's weight, then the feature's idf. A text touches a few
    hundred scattered features; with a feature's numbers side by side it costs
    one memory read instead of one per stage plus one for the idf (measured in
    ``docs/benchmarks.md``).
    """

    model_id: str
    classes: np.ndarray
    kinds: np.ndarray
    table: np.ndarray
    intercept: np.ndarray
    has_sport_stage: bool  # columns 0-1: chat and post sport-or-not
    has_kind_stage: bool  # then the post kind stage's columns
    sport_offsets: np.ndarray  # [chat, post]
    thread_keys: np.ndarray
    thread_counts: np.ndarray
    thread_weight: float
    word_features: int
    word_ngrams: tuple[int, int]
    token_pattern: str
    char_ngrams: tuple[int, int]
    max_chars: int
    # Short texts (format 2): a kind stage of their own (columns after the post
    # kind stage's), and a linear model over token embeddings blended in.
    has_short_kind_stage: bool = False
    embedding_coef: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    embedding_intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    embedding_weight: float = 0.0
    short_sharpness: float = 1.0
    _threads: dict[str, int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._tokens = re.compile(self.token_pattern)
        self._char_features = self.table.shape[0] - self.word_features

    def proba(self, text: str) -> np.ndarray:
        """Class probabilities of one text, in ``classes`` order."""
        thread = self.thread_prior(text)
        text, short = split(text, self.max_chars)
        counts: dict[int, int] = {}
        for token in word_ngrams(text, self._tokens, self.word_ngrams):
            column = hash_column(token, self.word_features)
            counts[column] = counts.get(column, 0) + 1
        for token in char_wb_ngrams(text, self.char_ngrams):
            column = self.word_features + hash_column(token, self._char_features)
            counts[column] = counts.get(column, 0) + 1
        if counts:
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            rows = self.table[columns]
            values = (np.log(values) + 1.0) * rows[:, -1]  # sublinear tf, then idf
            values /= math.sqrt(values @ values)  # l2 norm
            scores = values @ rows[:, :-1] + self.intercept
        else:
            scores = self.intercept.copy()
        sport = None
        if self.has_sport_stage:
            sport = scores[0 if short else 1] + self.sport_offsets[0 if short else 1]
        kind = None
        if self.has_kind_stage:
            start = 2 if self.has_sport_stage else 0
            width = (len(scores) - start) // (2 if self.has_short_kind_stage else 1)
            if short and self.has_short_kind_stage:
                start += width
            kind = scores[start : start + width]
        proba = compose(self.classes, self.kinds, sport, kind, thread)
        if not short:
            return proba
        embedded = None
        if self.embedding_coef.size:
            vector = TokenEmbeddings.shared().embed([text])[0]
            embedded = self.embedding_coef @ vector + self.embedding_intercept
        return blend_short(proba, embedded, self.embedding_weight, self.short_sharpness)

    def thread_prior(self, text: str) -> np.ndarray | None:
        """How a training thread with this post's Subject was labelled: add-one smoothed
        label shares raised to ``thread_weight``; None when there is no such thread."""
        if not self.thread_weight:
            return None
        thread = thread_of(text)
        if thread is None:
            return None
        if self._threads is None:  # built on first use: a dict of 5,000 subjects
            self._threads = {str(key): row for row, key in enumerate(self.thread_keys)}
        row = self._threads.get(thread)
        if row is None:
            return None
        counts = self.thread_counts[row] + 1.0
        return (counts / counts.sum()) ** self.thread_weight


class ScoredModel(TextClassifier):
    """A local model served by its ``Scorer`` alone (the Slack app): the same
    ``classify``/``predict_proba`` face and answers as the ``LocalModel`` it came from."""

    backend = "local"

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.classes_ = scorer.classes
        self.model_id = scorer.model_id

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("predict_proba expects a list of texts, not one string.")
        if not texts:
            return np.empty((0, len(self.classes_)))
        return np.vstack([self.scorer.proba(str(text)[:MAX_TEXT_CHARS]) for text in texts])
