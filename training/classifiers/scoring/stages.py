"""Composing the local model's stages: raw scores in, class probabilities out.

Shared by ``LocalModel`` (scikit-learn side) and ``Scorer`` (numpy only), so
both paths compute the same numbers. Imports only numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

OTHER = "other"


def expit(x: float | np.ndarray) -> Any:
    """The logistic function, without overflow warnings for large |x|."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


def stage_proba(scores: np.ndarray) -> np.ndarray:
    """A stage's class probabilities from its raw scores, as its model computes them:
    binary is one sigmoid (for the second class); more classes one sigmoid per
    class, normalised."""
    if len(scores) == 1:
        p = float(expit(scores[0]))
        return np.array([1.0 - p, p])
    prob = expit(scores)
    return prob / prob.sum()


def compose(
    classes: np.ndarray,
    kinds: np.ndarray,
    sport_score: float | None,
    kind_scores: np.ndarray | None,
    thread: np.ndarray | None = None,
) -> np.ndarray:
    """Class probabilities in ``classes`` order: ``P(sport) * P(kind | sport)`` for
    the sports, ``1 - P(sport)`` for other, times the thread's label shares.
    ``sport_score`` already carries its offset; None without stage A."""
    p_sport = 1.0 if sport_score is None else float(expit(sport_score))
    kind = np.ones(1) if kind_scores is None else stage_proba(kind_scores)
    proba = np.zeros(len(classes))
    proba[np.searchsorted(classes, kinds)] = p_sport * kind
    if len(kinds) < len(classes):
        proba[np.searchsorted(classes, OTHER)] = 1.0 - p_sport
    if thread is not None:
        proba *= thread
        proba /= proba.sum()
    return proba


def blend_short(
    proba: np.ndarray, embedding_scores: np.ndarray | None, weight: float, sharpness: float
) -> np.ndarray:
    """A short text's probabilities: the stages' ``proba`` and the embedding model's
    softmax (``embedding_scores``; None without one) combined as a weighted geometric
    mean, then sharpened by ``sharpness``, normalised.

    Sharpening is calibration: on short texts the stages' answers are right more
    often than their confidence says, so at the reaction threshold they were too shy.
    """
    logp = np.log(np.clip(proba, 1e-12, None))
    if embedding_scores is not None and weight:
        shifted = embedding_scores - embedding_scores.max()
        log_emb = shifted - np.log(np.exp(shifted).sum())
        logp = (1.0 - weight) * logp + weight * log_emb
    if embedding_scores is None and sharpness == 1.0:
        return proba
    logp = logp * sharpness
    out = np.exp(logp - logp.max())
    return out / out.sum()
