"""``LocalModel``: hashed word + character n-grams, TF-IDF, linear models, as a
scikit-learn estimator (``get_params``, ``fit``, ``predict_proba``).

Why the model has this shape is in the package's docstring
(``training.classifiers.local``).

``predict_proba`` of a few short texts skips scikit-learn's per-call
validation, most of its cost: ``scorer()`` holds the fitted arrays (``lean``),
and ``training.classifiers.scoring`` scores with dict counting plus a numpy
dot. ``artifacts.save`` writes those arrays beside the artifact, so the Slack
app's processes score without importing scikit-learn at all;
``tests/training/classifiers/test_scoring.py`` checks both paths agree.

Boundary: imports scikit-learn and ``training``, never ``bot``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from training import knowledge
from training.classifiers import embedding
from training.classifiers.base import MAX_TEXT_CHARS, TextClassifier
from training.classifiers.local import fitting
from training.classifiers.local.fitting import Examples, unless_even
from training.classifiers.local.lean import scorer_of
from training.classifiers.local.seeds import data_sha256
from training.classifiers.nbsvm import NBLogisticRegression
from training.classifiers.scoring.posts import split
from training.classifiers.scoring.scorer import Scorer
from training.classifiers.scoring.stages import OTHER, blend_short, compose

FORMAT_VERSION = 5  # 3: NB-LR stages; 4: thread memory; 5: short-text stages and embeddings
# Texts up to this long are scored by the lean path one by one; longer texts
# and big batches go through the scikit-learn pipeline, where its fixed cost
# per call is small next to the work.
LEAN_MAX_CHARS = 2_000
LEAN_MAX_BATCH = 8


class LocalModel(TextClassifier, ClassifierMixin, BaseEstimator):
    """A scikit-learn text classifier with the ``TextClassifier`` face.

    Two stages over one shared feature vector, because a flat 3-class model is
    dominated by the 17:1 ``other`` prior and calls sport posts ``other``:

    * stage A, sport vs ``other``: for posts an NB-LR model whose decision
      offset is fitted on out-of-fold training scores; for short texts (chat),
      whose scores sit on another scale, a log-loss SGD model with the
      ``short_offset`` hyperparameter;
    * stage B, which sport: NB-LR trained on the sport examples only.

    ``P(sport label) = P(sport) * P(label | sport)`` and ``P(other) = 1 - P(sport)``.
    Without ``other`` in the labels stage A is skipped; with one sport, stage B.

    Parameters are scikit-learn hyperparameters (``get_params``/``set_params``
    and ``clone`` work); fitted state ends in ``_``.
    """

    def __init__(
        self,
        *,
        word_features: int = 2**18,
        char_features: int = 2**18,
        char_ngrams: tuple[int, int] = (3, 5),
        alpha: float = 3e-6,
        post_sport_C: float = 30.0,  # noqa: N803 - scikit-learn's name for it
        kind_C: float = 30.0,  # noqa: N803
        nb_alpha: float = 1.0,
        other_recall: float = 0.965,
        thread_weight: float = 1.0,
        short_offset: float = 0.0,
        short_weight: float = 3.0,
        knowledge: bool = True,
        embedding_weight: float = 0.4,
        embedding_C: float = 10.0,  # noqa: N803
        short_sharpness: float = 2.0,
        max_chars: int = 1_500,
        max_iter: int = 15,
        random_state: int = 0,
    ) -> None:
        self.word_features = word_features
        self.char_features = char_features
        self.char_ngrams = char_ngrams
        self.alpha = alpha
        self.post_sport_C = post_sport_C
        self.kind_C = kind_C
        self.nb_alpha = nb_alpha
        self.other_recall = other_recall
        self.thread_weight = thread_weight
        self.short_offset = short_offset
        self.short_weight = short_weight
        self.knowledge = knowledge
        self.embedding_weight = embedding_weight
        self.embedding_C = embedding_C
        self.short_sharpness = short_sharpness
        self.max_chars = max_chars
        self.max_iter = max_iter
        self.random_state = random_state

    # ----- scikit-learn estimator contract ---------------------------------

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        sample_weight: Sequence[float] | None = None,
    ) -> LocalModel:
        """Fit on raw texts and their labels; records a hash of the data in ``metadata_``.

        ``sample_weight`` (one per text, default 1) multiplies each example's weight in
        every stage that learns from it (not the word weights, which count documents).

        With ``knowledge`` on, the short messages made from sportbot's lists of names
        and terms (``training.knowledge``) are added to what the short-text stages
        learn from; the posts' stages and the word weights never see them.
        """
        texts = [str(text) for text in texts]
        labels = [str(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
        weights = fitting.given_weights(sample_weight, len(texts))
        self.classes_ = np.unique(labels)
        known_texts, known_labels = self._knowledge()
        data = Examples.of(
            texts + known_texts,
            labels + known_labels,
            len(texts),
            self.max_chars,
            weights=weights,
        )
        self.pipeline_ = self._build_pipeline()
        # Hashing is stateless: hash once; word weights (idf) from the given texts only.
        hashed = self.pipeline_.named_steps["features"].fit_transform(data.prepared)
        tfidf = self.pipeline_.named_steps["tfidf"].fit(hashed[: len(texts)])
        features = tfidf.transform(hashed)
        self._fit_sport_stage(features, data)
        self._fit_kind_stage(features, data)
        self._fit_embedding_stage(data)
        self.thread_keys_, self.thread_counts_ = fitting.thread_counts(
            self.classes_, texts, data.y[: len(texts)]
        )
        self.metadata_ = {
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sklearn_version": sklearn.__version__,
            # The lists are part of what the model learned: other lists, other model.
            "data_sha256": data_sha256(
                texts, labels, known_texts, known_labels, weights=unless_even(weights)
            ),
            "n_examples": len(texts),
            "n_knowledge_examples": len(known_texts),
            "labels": [str(label) for label in self.classes_],
            "label_counts": dict(sorted(Counter(labels).items())),
            "params": fitting.jsonable(self.get_params()),
            "sport_offsets": [float(v) for v in self.sport_offsets_],
            "embeddings": embedding.NAME if self.embedding_coef_.size else None,
            "metrics": {},
        }
        self._reset_caches()
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, rows in ``classes_`` order."""
        if isinstance(texts, str):
            raise TypeError("predict_proba expects a list of texts, not one string.")
        texts = [fitting.as_text(text)[:MAX_TEXT_CHARS] for text in texts]
        if len(texts) <= LEAN_MAX_BATCH and all(len(t) <= LEAN_MAX_CHARS for t in texts):
            return (
                np.vstack([self._lean_proba(text) for text in texts])
                if texts
                else (np.empty((0, len(self.classes_))))
            )
        return self._full_proba(texts)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Log-probabilities: the two stages' scores composed, in ``classes_`` order."""
        return np.log(np.clip(self._full_proba([fitting.as_text(t) for t in texts]), 1e-300, None))

    @property
    def model_id(self) -> str:
        """``local-<first 12 hex of the training data hash>``: same data, same id."""
        metadata = getattr(self, "metadata_", None)
        return f"local-{metadata['data_sha256'][:12]}" if metadata else "local-unfitted"

    def _knowledge(self) -> tuple[list[str], list[str]]:
        """The list-made examples whose labels this model has (none when ``knowledge`` is off)."""
        if not self.knowledge:
            return [], []
        pairs = [
            (text, label)
            for text, label in zip(*knowledge.examples(), strict=True)
            if label in self.classes_
        ]
        return [text for text, _ in pairs], [label for _, label in pairs]

    # ----- the stages ----------------------------------------------------------

    def _fit_sport_stage(self, features: Any, data: Examples) -> None:
        """Stage A (sport vs other): a model for chat, one for posts, and their offsets."""
        self.sport_model_ = None
        self.post_sport_model_ = None
        self.sport_offsets_ = np.zeros(2)
        if OTHER not in self.classes_ or len(self.classes_) < 2:
            return
        sport = (data.y != OTHER).astype(int)
        # Short texts are what the bot classifies; weight them up so 10,000 long
        # posts do not drown them.
        weights = np.where(data.short, self.short_weight, 1.0) * data.weight
        self.sport_model_ = self._linear(self.alpha, "balanced").fit(
            features, sport, sample_weight=weights
        )
        given = np.flatnonzero(~data.known)
        self.sport_offsets_ = self._sport_offsets(
            features[given], sport[given], weights[given], data.short[given]
        )
        self.post_sport_model_ = self._post_sport().fit(
            features[given], sport[given], sample_weight=weights[given]
        )

    def _sport_offsets(
        self, features: Any, sport: np.ndarray, weights: np.ndarray, short: np.ndarray
    ) -> np.ndarray:
        """``[short, long]`` offsets added to stage A's score, from 2-fold OOF scores.

        Long texts: the offset that keeps ``other_recall`` of the other posts
        ``other`` (the 17:1 prior otherwise eats sport posts). Short texts score
        on another scale and the seed's templated lines are too alike to fit an
        offset out of fold, so theirs is the ``short_offset`` hyperparameter.
        """
        strata = fitting.strata(sport, short)
        if strata is None:  # too few examples to hold any out: no prior shift
            return np.array([self.short_offset, 0.0])
        scores = np.zeros(len(sport))
        folds = StratifiedKFold(2, shuffle=True, random_state=self.random_state)
        for train, held in folds.split(np.zeros(len(sport)), strata):
            model = self._post_sport()
            model.fit(features[train], sport[train], sample_weight=weights[train])
            scores[held] = model.decision_function(features[held])
        return np.array(
            [
                self.short_offset,
                fitting.quantile_offset(scores[~short], sport[~short], self.other_recall),
            ]
        )

    def _post_sport(self) -> NBLogisticRegression:
        return NBLogisticRegression(
            C=self.post_sport_C, alpha=self.nb_alpha, class_weight="balanced"
        )

    def _fit_kind_stage(self, features: Any, data: Examples) -> None:
        """Stage B (which sport), on the sport examples only: one model for posts, from
        the examples given, and one for short texts, from those and the list-made ones,
        short ones weighted up."""
        self.kinds_ = np.array([label for label in self.classes_ if label != OTHER])
        self.kind_model_ = None
        self.short_kind_model_ = None
        if len(self.kinds_) < 2:
            return
        sport = data.y != OTHER
        given = np.flatnonzero(sport & ~data.known)
        self.kind_model_ = NBLogisticRegression(C=self.kind_C, alpha=self.nb_alpha).fit(
            features[given], data.y[given], sample_weight=unless_even(data.weight[given])
        )
        rows = np.flatnonzero(sport)
        self.short_kind_model_ = NBLogisticRegression(
            C=self.kind_C, alpha=self.nb_alpha, class_weight="balanced"
        ).fit(
            features[rows],
            data.y[rows],
            sample_weight=np.where(data.short[rows], self.short_weight, 1.0) * data.weight[rows],
        )

    def _fit_embedding_stage(self, data: Examples) -> None:
        """A linear model over mean token embeddings (``embedding``), for short texts:
        ``embedding_coef_`` is one row per class (``classes_`` order), empty when off."""
        self.embedding_coef_ = np.zeros((0, embedding.DIMENSIONS))
        self.embedding_intercept_ = np.zeros(0)
        if not self.embedding_weight or len(self.classes_) < 2:
            return
        self.embedding_coef_, self.embedding_intercept_ = fitting.embedding_stage(
            data, len(self.classes_), self.embedding_C, self.short_weight
        )

    def _linear(self, alpha: float, class_weight: str | None) -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss",
            alpha=alpha,
            class_weight=class_weight,
            max_iter=self.max_iter,
            tol=None,  # a fixed number of epochs: same time, same model
            random_state=self.random_state,
        )

    def _compose(
        self,
        sport_score: float | None,
        kind_scores: np.ndarray | None,
        short: bool,
        thread: np.ndarray | None = None,
        embedded: np.ndarray | None = None,
    ) -> np.ndarray:
        """Class probabilities in ``classes_`` order from the stages' raw scores, the
        post's thread prior (``Scorer.thread_prior``) and, for a short text, its
        embedding (``scoring.stages.blend_short``)."""
        if sport_score is not None:
            sport_score = sport_score + self.sport_offsets_[0 if short else 1]
        proba = compose(self.classes_, self.kinds_, sport_score, kind_scores, thread)
        if not short:
            return proba
        scores = None
        if embedded is not None and self.embedding_coef_.size:
            scores = self.embedding_coef_ @ embedded + self.embedding_intercept_
        return blend_short(proba, scores, self.embedding_weight, self.short_sharpness)

    # ----- the two scoring paths -------------------------------------------

    def _full_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, len(self.classes_)))
        prepared, short = zip(*[self._split(text) for text in texts], strict=True)
        features = self.pipeline_.transform(prepared)
        sport = None
        if self.sport_model_ is not None:
            sport = np.where(
                short,
                self.sport_model_.decision_function(features),
                self.post_sport_model_.decision_function(features),
            )
        kind = None
        if self.kind_model_ is not None:
            kind = self.kind_model_.decision_function(features).reshape(len(prepared), -1)
            if self.short_kind_model_ is not None:
                short_kind = self.short_kind_model_.decision_function(features)
                kind = np.where(np.array(short)[:, None], short_kind.reshape(kind.shape), kind)
        embedded = [None] * len(prepared)
        rows = [i for i, is_short in enumerate(short) if is_short]
        if rows and self.embedding_coef_.size:
            vectors = embedding.TokenEmbeddings.shared().embed([prepared[i] for i in rows])
            for i, vector in zip(rows, vectors, strict=True):
                embedded[i] = vector
        return np.vstack(
            [
                self._compose(
                    None if sport is None else sport[i],
                    None if kind is None else kind[i],
                    short[i],
                    self.scorer().thread_prior(texts[i]),
                    embedded[i],
                )
                for i in range(len(prepared))
            ]
        )

    def _lean_proba(self, text: str) -> np.ndarray:
        """``_full_proba([text])[0]`` without scikit-learn's validation."""
        return self.scorer().proba(text)

    def scorer(self) -> Scorer:
        """The fitted arrays this model scores with (built once per process): what
        ``artifacts.save`` writes to the ``.scorer.npz`` file the Slack app loads."""
        cached = self.__dict__.get("_scorer")
        if cached is None:
            cached = scorer_of(self)
            self.__dict__["_scorer"] = cached
        return cached

    _CACHES = ("_scorer",)

    def _reset_caches(self) -> None:
        for cache in self._CACHES:
            self.__dict__.pop(cache, None)

    def __getstate__(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key not in self._CACHES}

    # ----- building blocks -------------------------------------------------

    def _split(self, text: str) -> tuple[str, bool]:
        """The prepared text, and whether it is chat-like (short, no news headers).

        A news post with a two-line body still scores like a post, not a chat line.
        """
        return split(text, self.max_chars)

    def _build_pipeline(self) -> Pipeline:
        return fitting.build_pipeline(self.word_features, self.char_features, self.char_ngrams)
