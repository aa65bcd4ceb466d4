"""The embedded local model: hashed word + character n-grams, TF-IDF, linear models.

Why this shape:

* ``HashingVectorizer`` needs no vocabulary, so the artifact is a few arrays
  (IDF weights and coefficients) that load in milliseconds, and names the 1993
  posts never saw (Bedard, the PWHL) still land on a feature.
* Word 1-2 grams carry the topic; ``char_wb`` 3-5 grams generalise over
  spellings, plurals and team nicknames in short chat messages.
* Newsgroup headers (From:, Organization:, Lines:) leak the author and say
  nothing a Slack message would; ``strip_headers`` drops them (keeping the
  Subject's words) both when training and when classifying.
* Which sport, and sport-or-not for posts, are NB-LR models
  (``training.classifiers.nbsvm``: logistic regression on naive-Bayes-scaled
  features), which separate the sports' telling words from an author's habits
  better than plain logistic regression (0.974 -> 0.985 on the 20 Newsgroups
  test posts, baseball vs hockey). Sport-or-not for short chat stays an
  ``SGDClassifier(loss="log_loss")`` whose decision offset is a hyperparameter
  (the chat lines are too few and alike to fit one on).
* A news post carries its thread in its Subject, and a reply stays in its
  thread's group. The model remembers the label counts of the subjects it was
  trained on (``thread_keys_``, ``thread_counts_``) and combines them with the
  stages' probabilities as naive Bayes would (``thread_weight`` 1): on the test
  posts 0.976 -> 0.982 for which-sport-or-other, and 0.986 -> 0.990 of other
  groups' posts kept ``other``; in 5-fold cross-validation on the training posts
  0.970 -> 0.972 and 0.982 -> 0.987. Chat messages have no Subject and are scored as before.

``predict_proba`` of one short text skips scikit-learn's per-call validation
(most of its ~1 ms): ``scorer()`` holds the fitted arrays, and
``training.classifiers.scoring`` scores with dict counting plus a numpy dot.
``save`` writes those arrays beside the artifact, so the Slack app's processes
score without importing scikit-learn at all; ``tests/training/test_scoring.py``
checks both paths agree.

Artifacts are ``skops`` files (never pickle) loaded against an explicit list of
trusted types, with a metadata block and a sha256 the registry records.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from training import knowledge
from training.classifiers import embedding, scoring
from training.classifiers.base import LABELS, MAX_TEXT_CHARS, TextClassifier
from training.classifiers.nbsvm import NBLogisticRegression
from training.classifiers.scoring import OTHER, file_sha256, thread_of
from training.errors import DataError, ModelFileError

FORMAT_VERSION = 5  # 3: NB-LR stages; 4: thread memory; 5: short-text stages and embeddings
ARTIFACT_SUFFIX = scoring.ARTIFACT_SUFFIX
# Texts up to this long are scored by the lean path one by one; longer texts
# and big batches go through the scikit-learn pipeline, where its fixed cost
# per call is small next to the work.
LEAN_MAX_CHARS = 2_000
LEAN_MAX_BATCH = 8
EMBEDDING_POST_CHARS = 600
EMBEDDING_MAX_ITER = 500
# Only these types may appear in an artifact; anything else is refused on load.
TRUSTED_TYPES = [
    "training.classifiers.local.LocalModel",
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "training.classifiers.nbsvm.NBLogisticRegression",
    "builtins.float",
    "builtins.int",
    "builtins.str",
    "builtins.bool",
    "builtins.tuple",
    "builtins.list",
    "builtins.dict",
    "builtins.NoneType",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.str_",
]
SEED_PACKAGE = "training.seed"


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
        weights = _given_weights(sample_weight, len(texts))
        self.classes_ = np.unique(labels)
        known_texts, known_labels = self._knowledge()
        data = _Examples.of(
            texts + known_texts, labels + known_labels, len(texts), self, weights=weights
        )
        self.pipeline_ = self._build_pipeline()
        # Hashing is stateless: hash once; word weights (idf) from the given texts only.
        hashed = self.pipeline_.named_steps["features"].fit_transform(data.prepared)
        tfidf = self.pipeline_.named_steps["tfidf"].fit(hashed[: len(texts)])
        features = tfidf.transform(hashed)
        self._fit_sport_stage(features, data)
        self._fit_kind_stage(features, data)
        self._fit_embedding_stage(data)
        self.thread_keys_, self.thread_counts_ = self._thread_counts(texts, data.y[: len(texts)])
        self.metadata_ = {
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sklearn_version": sklearn.__version__,
            # The lists are part of what the model learned: other lists, other model.
            "data_sha256": data_sha256(
                texts, labels, known_texts, known_labels, weights=_unless_even(weights)
            ),
            "n_examples": len(texts),
            "n_knowledge_examples": len(known_texts),
            "labels": [str(label) for label in self.classes_],
            "label_counts": dict(sorted(Counter(labels).items())),
            "params": _jsonable(self.get_params()),
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
        texts = [_as_text(text)[:MAX_TEXT_CHARS] for text in texts]
        if len(texts) <= LEAN_MAX_BATCH and all(len(t) <= LEAN_MAX_CHARS for t in texts):
            return (
                np.vstack([self._lean_proba(text) for text in texts])
                if texts
                else (np.empty((0, len(self.classes_))))
            )
        return self._full_proba(texts)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Log-probabilities: the two stages' scores composed, in ``classes_`` order."""
        return np.log(np.clip(self._full_proba([_as_text(t) for t in texts]), 1e-300, None))

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

    def _fit_sport_stage(self, features: Any, data: _Examples) -> None:
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
        strata = _strata(sport, short)
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
                _quantile_offset(scores[~short], sport[~short], self.other_recall),
            ]
        )

    def _post_sport(self) -> NBLogisticRegression:
        return NBLogisticRegression(
            C=self.post_sport_C, alpha=self.nb_alpha, class_weight="balanced"
        )

    def _fit_kind_stage(self, features: Any, data: _Examples) -> None:
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
            features[given], data.y[given], sample_weight=_unless_even(data.weight[given])
        )
        rows = np.flatnonzero(sport)
        self.short_kind_model_ = NBLogisticRegression(
            C=self.kind_C, alpha=self.nb_alpha, class_weight="balanced"
        ).fit(
            features[rows],
            data.y[rows],
            sample_weight=np.where(data.short[rows], self.short_weight, 1.0) * data.weight[rows],
        )

    def _fit_embedding_stage(self, data: _Examples) -> None:
        """A linear model over mean token embeddings (``embedding``), for short texts:
        ``embedding_coef_`` is one row per class (``classes_`` order), empty when off."""
        self.embedding_coef_ = np.zeros((0, embedding.DIMENSIONS))
        self.embedding_intercept_ = np.zeros(0)
        if not self.embedding_weight or len(self.classes_) < 2:
            return
        from sklearn.linear_model import LogisticRegression

        # It only scores short texts: a post's opening is all it needs to learn from one.
        opening = [text[:EMBEDDING_POST_CHARS] for text in data.prepared]
        vectors = embedding.TokenEmbeddings.shared().embed(opening)
        model = LogisticRegression(
            C=self.embedding_C, class_weight="balanced", max_iter=EMBEDDING_MAX_ITER
        ).fit(
            vectors,
            data.y,
            sample_weight=np.where(data.short, self.short_weight, 1.0) * data.weight,
        )
        coef, intercept = model.coef_, model.intercept_
        if len(self.classes_) == 2:  # one sigmoid row is a softmax over [0, row]
            coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
            intercept = np.array([0.0, intercept[0]])
        self.embedding_coef_, self.embedding_intercept_ = coef, intercept

    def _linear(self, alpha: float, class_weight: str | None) -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss",
            alpha=alpha,
            class_weight=class_weight,
            max_iter=self.max_iter,
            tol=None,  # a fixed number of epochs: same time, same model
            random_state=self.random_state,
        )

    def _thread_counts(self, texts: Sequence[str], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The training threads (sorted), and each one's label counts in ``classes_``
        order. Arrays, not a dict: the artifact loads them in one read each."""
        column = {label: i for i, label in enumerate(self.classes_)}
        threads: dict[str, np.ndarray] = {}
        for text, label in zip(texts, y, strict=True):
            thread = thread_of(text)
            if thread is not None:
                counts = threads.setdefault(thread, np.zeros(len(self.classes_), np.int64))
                counts[column[label]] += 1
        keys = sorted(threads)
        counts = np.array([threads[key] for key in keys], np.int64)
        return np.array(keys, dtype=str), counts.reshape(len(keys), len(self.classes_))

    def _compose(
        self,
        sport_score: float | None,
        kind_scores: np.ndarray | None,
        short: bool,
        thread: np.ndarray | None = None,
        embedded: np.ndarray | None = None,
    ) -> np.ndarray:
        """Class probabilities in ``classes_`` order from the stages' raw scores, the
        post's thread prior (``scoring.Scorer.thread_prior``) and, for a short text,
        its embedding (``scoring.blend_short``)."""
        if sport_score is not None:
            sport_score = sport_score + self.sport_offsets_[0 if short else 1]
        proba = scoring.compose(self.classes_, self.kinds_, sport_score, kind_scores, thread)
        if not short:
            return proba
        scores = None
        if embedded is not None and self.embedding_coef_.size:
            scores = self.embedding_coef_ @ embedded + self.embedding_intercept_
        return scoring.blend_short(proba, scores, self.embedding_weight, self.short_sharpness)

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

    def scorer(self) -> scoring.Scorer:
        """The fitted arrays this model scores with (built once per process): what
        ``save`` writes to the ``.scorer.npz`` file the Slack app loads."""
        cached = self.__dict__.get("_scorer")
        if cached is None:
            stages = (
                self.sport_model_,
                self.post_sport_model_,
                self.kind_model_,
                self.short_kind_model_,
            )
            models = [m for m in stages if m is not None]
            idf = self.pipeline_.named_steps["tfidf"].idf_
            table = np.ascontiguousarray(np.column_stack([*(m.coef_.T for m in models), idf]))
            words, chars = (v for _, v in self.pipeline_.named_steps["features"].transformer_list)
            cached = scoring.Scorer(
                model_id=self.model_id,
                classes=self.classes_,
                kinds=self.kinds_,
                table=table,
                intercept=np.concatenate([m.intercept_ for m in models]) if models else np.zeros(0),
                has_sport_stage=self.sport_model_ is not None,
                has_kind_stage=self.kind_model_ is not None,
                has_short_kind_stage=self.short_kind_model_ is not None,
                embedding_coef=np.asarray(self.embedding_coef_, dtype=np.float64),
                embedding_intercept=np.asarray(self.embedding_intercept_, dtype=np.float64),
                embedding_weight=float(self.embedding_weight),
                short_sharpness=float(self.short_sharpness),
                sport_offsets=np.asarray(self.sport_offsets_, dtype=np.float64),
                thread_keys=self.thread_keys_,
                thread_counts=self.thread_counts_,
                thread_weight=float(self.thread_weight),
                word_features=int(words.n_features),
                word_ngrams=tuple(words.ngram_range),
                token_pattern=words.token_pattern,
                char_ngrams=tuple(chars.ngram_range),
                max_chars=int(self.max_chars),
            )
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
        return scoring.split(text, self.max_chars)

    def _build_pipeline(self) -> Pipeline:
        common = {"lowercase": True, "norm": None, "alternate_sign": False, "dtype": np.float64}
        words = HashingVectorizer(
            n_features=self.word_features,
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            strip_accents="unicode",
            **common,
        )
        chars = HashingVectorizer(
            n_features=self.char_features,
            analyzer="char_wb",
            ngram_range=tuple(self.char_ngrams),
            **common,
        )
        return Pipeline(
            [
                ("features", FeatureUnion([("words", words), ("chars", chars)])),
                ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ]
        )


@dataclass(frozen=True)
class _Examples:
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
        model: LocalModel,
        *,
        weights: np.ndarray | None = None,
    ) -> _Examples:
        prepared, short = zip(*[model._split(text) for text in texts], strict=True)
        known = np.arange(len(texts)) >= n_given
        weight = np.ones(len(texts))
        if weights is not None:
            weight[:n_given] = weights
        return cls(list(prepared), np.asarray(labels), np.array(short), known, weight)


def _unless_even(weights: np.ndarray) -> np.ndarray | None:
    """The weights, or None when every one is 1 (the same data as unweighted)."""
    return None if np.all(weights == 1.0) else weights


def _given_weights(sample_weight: Sequence[float] | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    weights = np.asarray(sample_weight, dtype=float)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"sample_weight must be {n} finite weights of 0 or more.")
    return weights


# ----- training data ---------------------------------------------------------


def seed_examples() -> tuple[list[str], list[str]]:
    """The hand-written short messages shipped in ``training/seed/*.jsonl``."""
    texts: list[str] = []
    labels: list[str] = []
    for entry in sorted(resources.files(SEED_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".jsonl"):
            rows = read_jsonl_lines(entry.read_text(encoding="utf-8"), entry.name)
            texts += [row["text"] for row in rows]
            labels += [row["label"] for row in rows]
    return texts, labels


def read_jsonl_lines(content: str, name: str) -> list[dict]:
    """``{"text", "label"}`` rows of a JSONL text; DataError names the bad line."""
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{name} line {number}: not JSON ({error.msg}).") from None
        if row.get("label") not in LABELS or not isinstance(row.get("text"), str):
            raise DataError(f"{name} line {number}: needs a text and a label in {LABELS}.")
        rows.append(row)
    return rows


def data_sha256(
    texts: Sequence[str],
    labels: Sequence[str],
    known_texts: Sequence[str] = (),
    known_labels: Sequence[str] = (),
    *,
    weights: Sequence[float] | None = None,
) -> str:
    """A hash of the training data, order included: same data, same hash. The
    list-made examples a model also learned from (``knowledge``) count after a marker;
    sample weights, when given, after another (other weights, another model)."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([label, text]).encode("utf-8"))
        digest.update(b"\n")
    if known_texts:
        digest.update(b"knowledge\n")
        for text, label in zip(known_texts, known_labels, strict=True):
            digest.update(json.dumps([label, text]).encode("utf-8"))
            digest.update(b"\n")
    if weights is not None:
        digest.update(b"weights\n" + json.dumps([float(w) for w in weights]).encode("utf-8"))
    return digest.hexdigest()


# ----- artifacts ---------------------------------------------------------------


def save(model: LocalModel, directory: Path | str) -> Path:
    """Write ``<model_id>.skops``, its scoring arrays (``<model_id>.scorer.npz``, for
    the Slack app: ``scoring``) and a readable ``.json`` of its metadata
    into ``directory``; the ``.skops`` path.

    Written under a temporary name and renamed, so a reader never sees half a file.
    """
    import skops.io as sio

    if not hasattr(model, "pipeline_"):
        raise ModelFileError("Cannot save an unfitted model: call fit() first.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.model_id}{ARTIFACT_SUFFIX}"
    staging = path.with_name(f".{path.name}.tmp")
    sio.dump(model, staging, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    staging.replace(path)
    scorer = scoring.scorer_path(path)
    sidecar = {
        **model.metadata_,
        "sha256": file_sha256(path),
        "file": path.name,
        "scorer_sha256": scoring.save(model.scorer(), scorer),
        "scorer_file": scorer.name,
    }
    path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    return path


def load(path: Path | str, expected_sha256: str | None = None) -> LocalModel:
    """Load an artifact written by ``save``, refusing anything tampered with.

    ``expected_sha256`` is the hash the registry recorded; without it the
    sidecar ``.json`` (if present) is checked. Only ``TRUSTED_TYPES`` may appear.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file {path} does not exist.")
    expected = expected_sha256 or _sidecar_sha256(path)
    actual = file_sha256(path)
    if expected is not None and actual != expected.lower():
        raise ModelFileError(
            f"Model file {path} has sha256 {actual[:12]}…, not the recorded "
            f"{expected[:12]}…: it was changed or swapped; refusing to load it."
        )
    try:
        untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            raise ModelFileError(
                f"Model file {path} holds types sportbot does not trust: "
                f"{', '.join(sorted(untrusted))}; refusing to load it."
            )
        model = sio.load(path, trusted=TRUSTED_TYPES)
    except ModelFileError:
        raise
    except Exception as error:  # skops/zip raise many kinds; callers get one
        raise ModelFileError(f"Model file {path} is unreadable: {error}") from None
    return _checked(model, path)


def _checked(model: object, path: Path) -> LocalModel:
    if not isinstance(model, LocalModel) or not hasattr(model, "pipeline_"):
        raise ModelFileError(f"Model file {path} does not hold a fitted LocalModel.")
    version = model.metadata_.get("format_version")
    if version not in (3, 4, FORMAT_VERSION):
        raise ModelFileError(
            f"Model file {path} has format version {version}; this sportbot reads "
            f"versions 3 to {FORMAT_VERSION}. Retrain the local model."
        )
    if version == 3:  # from before thread memory: it scores as it did
        model.thread_weight = 0.0
        model.thread_keys_, model.thread_counts_ = np.array([], dtype=str), np.zeros((0, 0))
    if version in (3, 4):  # from before the short-text stages: short texts score as they did
        model.short_kind_model_ = None
        model.embedding_weight, model.short_sharpness = 0.0, 1.0
        model.embedding_coef_ = np.zeros((0, embedding.DIMENSIONS))
        model.embedding_intercept_ = np.zeros(0)
    return model


def _sidecar_sha256(path: Path) -> str | None:
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return None
    try:
        return json.loads(sidecar.read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError):
        raise ModelFileError(f"Metadata file {sidecar} is unreadable.") from None


# ----- small helpers -----------------------------------------------------------


def _strata(sport: np.ndarray, short: np.ndarray) -> np.ndarray | None:
    """Fold strata for the offsets: class and length if each has 2 members, else class."""
    for strata in (sport * 2 + short, sport):
        counts = np.bincount(strata)
        if counts[counts > 0].min() >= 2:
            return strata
    return None


def _quantile_offset(scores: np.ndarray, sport: np.ndarray, other_recall: float) -> float:
    """The offset that keeps ``other_recall`` of the other texts below 0; 0 without any."""
    others = scores[sport == 0]
    return float(-np.quantile(others, other_recall)) if len(others) else 0.0


def _as_text(text: object) -> str:
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else str(text)


def _jsonable(params: dict) -> dict:
    return {key: list(v) if isinstance(v, tuple) else v for key, v in params.items()}
