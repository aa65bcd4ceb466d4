"""The building blocks of a ``LocalModel`` fit: the feature pipeline, one fit's
examples and weights, the training threads' label counts, the offsets' folds.

Imports scikit-learn and numpy; never ``bot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline

from training.classifiers import embedding
from training.classifiers.scoring.posts import split, thread_of

EMBEDDING_POST_CHARS = 600
EMBEDDING_MAX_ITER = 500


def build_pipeline(
    word_features: int, char_features: int, char_ngrams: tuple[int, int]
) -> Pipeline:
    """Hashed word 1-2 grams and ``char_wb`` n-grams, then sublinear TF-IDF."""
    common = {"lowercase": True, "norm": None, "alternate_sign": False, "dtype": np.float64}
    words = HashingVectorizer(
        n_features=word_features,
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",
        strip_accents="unicode",
        **common,
    )
    chars = HashingVectorizer(
        n_features=char_features,
        analyzer="char_wb",
        ngram_range=tuple(char_ngrams),
        **common,
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    )


@dataclass(frozen=True)
class Examples:
    """One fit's examples: prepared texts, labels, which are short (chat-like) and
    which are list-made (``knowledge``: the last ones)."""

    prepared: list[str]
    y: np.ndarray
    short: np.ndarray
    known: np.ndarray
    weight: np.ndarray  # the caller's sample weights; 1 for the list-made examples

    @classmethod
    def of(
        cls,
        texts: list[str],
        labels: list[str],
        n_given: int,
        max_chars: int,
        *,
        weights: np.ndarray | None = None,
    ) -> Examples:
        prepared, short = zip(*[split(text, max_chars) for text in texts], strict=True)
        known = np.arange(len(texts)) >= n_given
        weight = np.ones(len(texts))
        if weights is not None:
            weight[:n_given] = weights
        return cls(list(prepared), np.asarray(labels), np.array(short), known, weight)


def unless_even(weights: np.ndarray) -> np.ndarray | None:
    """The weights, or None when every one is 1 (the same data as unweighted)."""
    return None if np.all(weights == 1.0) else weights


def given_weights(sample_weight: Sequence[float] | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    weights = np.asarray(sample_weight, dtype=float)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"sample_weight must be {n} finite weights of 0 or more.")
    return weights


def thread_counts(
    classes: np.ndarray, texts: Sequence[str], y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The training threads (sorted), and each one's label counts in ``classes``
    order. Arrays, not a dict: the artifact loads them in one read each."""
    column = {label: i for i, label in enumerate(classes)}
    threads: dict[str, np.ndarray] = {}
    for text, label in zip(texts, y, strict=True):
        thread = thread_of(text)
        if thread is not None:
            counts = threads.setdefault(thread, np.zeros(len(classes), np.int64))
            counts[column[label]] += 1
    keys = sorted(threads)
    counts = np.array([threads[key] for key in keys], np.int64)
    return np.array(keys, dtype=str), counts.reshape(len(keys), len(classes))


def strata(sport: np.ndarray, short: np.ndarray) -> np.ndarray | None:
    """Fold strata for the offsets: class and length if each has 2 members, else class."""
    for strata in (sport * 2 + short, sport):
        counts = np.bincount(strata)
        if counts[counts > 0].min() >= 2:
            return strata
    return None


def quantile_offset(scores: np.ndarray, sport: np.ndarray, other_recall: float) -> float:
    """The offset that keeps ``other_recall`` of the other texts below 0; 0 without any."""
    others = scores[sport == 0]
    return float(-np.quantile(others, other_recall)) if len(others) else 0.0


def as_text(text: object) -> str:
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else str(text)


def jsonable(params: dict) -> dict:
    return {key: list(v) if isinstance(v, tuple) else v for key, v in params.items()}


def embedding_stage(
    data: Examples,
    n_classes: int,
    C: float,  # noqa: N803 - scikit-learn's name for it
    short_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The embedding model's coefficients, one row per class, and intercepts."""
    from sklearn.linear_model import LogisticRegression

    # It only scores short texts: a post's opening is all it needs to learn from one.
    opening = [text[:EMBEDDING_POST_CHARS] for text in data.prepared]
    vectors = embedding.TokenEmbeddings.shared().embed(opening)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=EMBEDDING_MAX_ITER).fit(
        vectors,
        data.y,
        sample_weight=np.where(data.short, short_weight, 1.0) * data.weight,
    )
    coef, intercept = model.coef_, model.intercept_
    if n_classes == 2:  # one sigmoid row is a softmax over [0, row]
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    return coef, intercept
