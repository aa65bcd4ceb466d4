"""The ``Scorer`` a fitted ``LocalModel`` scores short texts with: its stages'
weights and idf side by side in one table, its offsets, thread counts and
embedding model (``training.classifiers.scoring``), what ``artifacts.save``
writes to the ``.scorer.npz`` file the Slack app loads.

Imports numpy and ``training``; the model's scikit-learn objects are only read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from training.classifiers.scoring.scorer import Scorer

if TYPE_CHECKING:
    from training.classifiers.local.estimator import LocalModel


def scorer_of(model: LocalModel) -> Scorer:
    """The fitted arrays ``model`` scores with, gathered into one ``Scorer``."""
    stages = (
        model.sport_model_,
        model.post_sport_model_,
        model.kind_model_,
        model.short_kind_model_,
    )
    models = [m for m in stages if m is not None]
    idf = model.pipeline_.named_steps["tfidf"].idf_
    table = np.ascontiguousarray(np.column_stack([*(m.coef_.T for m in models), idf]))
    words, chars = (v for _, v in model.pipeline_.named_steps["features"].transformer_list)
    return Scorer(
        model_id=model.model_id,
        classes=model.classes_,
        kinds=model.kinds_,
        table=table,
        intercept=np.concatenate([m.intercept_ for m in models]) if models else np.zeros(0),
        has_sport_stage=model.sport_model_ is not None,
        has_kind_stage=model.kind_model_ is not None,
        has_short_kind_stage=model.short_kind_model_ is not None,
        embedding_coef=np.asarray(model.embedding_coef_, dtype=np.float64),
        embedding_intercept=np.asarray(model.embedding_intercept_, dtype=np.float64),
        embedding_weight=float(model.embedding_weight),
        short_sharpness=float(model.short_sharpness),
        sport_offsets=np.asarray(model.sport_offsets_, dtype=np.float64),
        thread_keys=model.thread_keys_,
        thread_counts=model.thread_counts_,
        thread_weight=float(model.thread_weight),
        word_features=int(words.n_features),
        word_ngrams=tuple(words.ngram_range),
        token_pattern=words.token_pattern,
        char_ngrams=tuple(chars.ngram_range),
        max_chars=int(model.max_chars),
    )
