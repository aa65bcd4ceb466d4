"""The local model's scoring path, with numpy alone: no scikit-learn, no scipy.

A fitted ``LocalModel`` is, for scoring, a handful of arrays: each hashed
feature's idf and stage weights, the stages' intercepts and offsets, and the
label counts of the threads it was trained on. ``Scorer`` holds those arrays
and scores one text with dict counting and a numpy dot. ``LocalModel`` scores
short texts through it (``LocalModel.scorer()``), and the Slack app's
processes (web worker and tagger) load it on its own from a ``.scorer.npz``
file beside the model's ``.skops`` artifact (``save``/``load``), so they never
import scikit-learn: importing it costs ~140 MB of memory, the model's arrays ~20 MB.

The features are scikit-learn's ``HashingVectorizer`` columns, computed here
the same way: the same preprocessing, n-grams and MurmurHash3 (the ``mmh3``
package); ``tests/training/test_scoring.py`` checks every step against
scikit-learn's own.

The ``.npz`` file holds arrays only (loaded with ``allow_pickle=False``), and
the registry records its sha256 like the artifact's, so a changed file is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mmh3
import numpy as np

from training.classifiers.base import MAX_TEXT_CHARS, TextClassifier
from training.classifiers.embedding import TokenEmbeddings
from training.errors import ModelFileError

ARTIFACT_SUFFIX = ".skops"  # the LocalModel artifact the scorer file goes with
SCORER_SUFFIX = ".scorer.npz"
SCORER_FORMAT = 2  # 2: short-text kind stage and embeddings
SCORER_FORMATS = (1, SCORER_FORMAT)
OTHER = "other"
# A text shorter than this with no news headers is chat, which stage A scores
# with its own model and offset.
SHORT_CHARS = 300

# ----- news posts: headers and threads ------------------------------------------

# News headers that say who wrote a post, not what it is about.
_HEADER = re.compile(
    r"^(from|subject|organization|organisation|lines|nntp-posting-host|reply-to|"
    r"distribution|keywords|summary|article-i\.d\.|expires|sender|message-id|date|"
    r"newsgroups|path|followup-to|references|x-[\w-]+|in-reply-to|originator|"
    r"nf-id|nf-from|supersedes|approved|disclaimer|news-software|version):",
    re.IGNORECASE,
)
_REPLY = re.compile(r"^\s*(re|fwd?)\s*:\s*", re.IGNORECASE)
_REPLIES = re.compile(r"^\s*((re|fwd?)\s*:\s*)+", re.IGNORECASE)


def strip_headers(text: str) -> str:
    """The text without a leading block of news headers, keeping the Subject's words.

    Only a block of two or more known header lines counts, so a chat message
    that starts "From: the kitchen" keeps its first line.
    """
    lines, count = _header_block(text)
    if count < 2:
        return text
    return "\n".join([*_subjects(lines[:count]), *lines[count:]])


def thread_of(text: str) -> str | None:
    """A news post's thread: its Subject without "Re:", lowercased, spaces folded.
    None for anything without a block of news headers (chat messages)."""
    lines, count = _header_block(text)
    if count < 2:
        return None
    subjects = _subjects(lines[:count])
    thread = " ".join(_REPLIES.sub("", subjects[0]).lower().split()) if subjects else ""
    return thread or None


def split(text: str, max_chars: int) -> tuple[str, bool]:
    """The text to score (headers stripped, cut to ``max_chars``), and whether it is
    chat-like (short, no news headers): a post with a two-line body scores as a post."""
    body = strip_headers(text)
    return body[:max_chars], body is text and len(body) < SHORT_CHARS


def _header_block(text: str) -> tuple[list[str], int]:
    """The text's first lines, and how many of them are known news headers in a row."""
    lines = text.split("\n", 40)
    count = 0
    while count < len(lines) - 1 and _HEADER.match(lines[count]):
        count += 1
    return lines, count


def _subjects(headers: list[str]) -> list[str]:
    return [
        _REPLY.sub("", line.split(":", 1)[1].strip())
        for line in headers
        if line[:8].lower() == "subject:"
    ]


# ----- features: scikit-learn's HashingVectorizer, step by step ------------------

_WHITE_SPACES = re.compile(r"\s\s+")


def strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode``: NFKD, without combining marks."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def word_ngrams(text: str, token_pattern: re.Pattern, ngrams: tuple[int, int]) -> list[str]:
    """``HashingVectorizer(analyzer="word", strip_accents="unicode", lowercase=True)``'s tokens."""
    tokens = token_pattern.findall(strip_accents(text.lower()))
    low, high = ngrams
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_wb_ngrams(text: str, ngrams: tuple[int, int]) -> list[str]:
    """``HashingVectorizer(analyzer="char_wb", lowercase=True)``'s tokens: character
    n-grams inside each word, the word padded with a space on each side."""
    low, high = ngrams
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        size = len(word)
        for n in range(low, high + 1):
            if size <= n:  # a short word counts once, whole
                grams.append(word)
                break
            grams += [word[i : i + n] for i in range(size - n + 1)]
    return grams


def hash_column(token: str, size: int) -> int:
    """``FeatureHasher``'s column of a token: abs(signed MurmurHash3 of its UTF-8) % size."""
    # Bytes, not the str: mmh3 5.3 crashes the interpreter on a str holding a lone
    # surrogate; encoding first raises UnicodeEncodeError as scikit-learn does.
    h = mmh3.hash(token.encode("utf-8"), 0, True)
    if h == -2147483648:  # abs() of int32's minimum overflows in scikit-learn's C
        return (2147483647 - (size - 1)) % size
    return abs(h) % size


# ----- composing the stages ------------------------------------------------------


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


# ----- the scorer ----------------------------------------------------------------


@dataclass(eq=False)
class Scorer:
    """A fitted local model's scoring arrays; ``proba(text)`` is its ``predict_proba`` row.

    ``table`` has one row per hashed feature (word columns, then character
    columns): each stage's weight, then the feature's idf. A text touches a few
    hundred scattered features; with a feature's numbers side by side it costs
    one memory read instead of one per stage plus one for the idf (in a busy web
    process, 0.29 -> 0.20 ms a message).
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


# ----- the .scorer.npz file --------------------------------------------------------

_ARRAYS = ("classes", "kinds", "table", "intercept", "sport_offsets", "thread_keys")
_ARRAYS_2 = ("embedding_coef", "embedding_intercept")  # format 2 on


def scorer_path(artifact: Path | str) -> Path:
    """Where ``local.save`` writes the scoring arrays of the artifact at ``artifact``."""
    artifact = Path(artifact)
    return artifact.with_name(artifact.name.removesuffix(ARTIFACT_SUFFIX) + SCORER_SUFFIX)


def save(scorer: Scorer, path: Path) -> str:
    """Write ``scorer`` to ``path`` (atomically); its sha256, for the registry."""
    config = {
        "format": SCORER_FORMAT,
        "model_id": scorer.model_id,
        "has_sport_stage": scorer.has_sport_stage,
        "has_kind_stage": scorer.has_kind_stage,
        "thread_weight": scorer.thread_weight,
        "word_features": scorer.word_features,
        "word_ngrams": list(scorer.word_ngrams),
        "token_pattern": scorer.token_pattern,
        "char_ngrams": list(scorer.char_ngrams),
        "max_chars": scorer.max_chars,
        "has_short_kind_stage": scorer.has_short_kind_stage,
        "embedding_weight": scorer.embedding_weight,
        "short_sharpness": scorer.short_sharpness,
    }
    arrays = {name: getattr(scorer, name) for name in (*_ARRAYS, *_ARRAYS_2)}
    staging = path.with_name(f".{path.name}.tmp")
    with staging.open("wb") as handle:
        np.savez_compressed(
            handle,
            config=np.array(json.dumps(config)),
            thread_counts=np.asarray(scorer.thread_counts, dtype=np.int64),
            **{name: np.asarray(value) for name, value in arrays.items()},
        )
    staging.replace(path)
    return file_sha256(path)


def load(path: Path | str, expected_sha256: str) -> ScoredModel:
    """The model in a ``.scorer.npz`` file; ModelFileError when it is missing, is not
    the file the registry recorded (``expected_sha256``) or does not parse."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Scorer file {path} does not exist.")
    actual = file_sha256(path)
    if actual != expected_sha256.lower():
        raise ModelFileError(
            f"Scorer file {path} has sha256 {actual[:12]}…, not the recorded "
            f"{expected_sha256[:12]}…: it was changed or swapped; refusing to load it."
        )
    try:
        with np.load(path, allow_pickle=False) as data:  # arrays only: no code runs
            config = json.loads(str(data["config"]))
            if config.get("format") not in SCORER_FORMATS:
                raise ModelFileError(
                    f"Scorer file {path} has format {config.get('format')}; this sportbot "
                    f"reads formats {SCORER_FORMATS[0]} to {SCORER_FORMAT}. "
                    "Retrain the local model."
                )
            names = (*_ARRAYS, "thread_counts", *(_ARRAYS_2 if config["format"] >= 2 else ()))
            arrays = {name: data[name] for name in names}
        scorer = Scorer(
            model_id=config["model_id"],
            has_sport_stage=bool(config["has_sport_stage"]),
            has_kind_stage=bool(config["has_kind_stage"]),
            thread_weight=float(config["thread_weight"]),
            word_features=int(config["word_features"]),
            word_ngrams=tuple(config["word_ngrams"]),
            token_pattern=str(config["token_pattern"]),
            char_ngrams=tuple(config["char_ngrams"]),
            max_chars=int(config["max_chars"]),
            has_short_kind_stage=bool(config.get("has_short_kind_stage", False)),
            embedding_weight=float(config.get("embedding_weight", 0.0)),
            short_sharpness=float(config.get("short_sharpness", 1.0)),
            **arrays,
        )
    except ModelFileError:
        raise
    except Exception as error:  # zip, npy and JSON errors: callers get one kind
        raise ModelFileError(f"Scorer file {path} is unreadable: {error}") from None
    return ScoredModel(scorer)


def file_sha256(path: Path | str) -> str:
    """The sha256 of a file, hex: what the registry records next to the path."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
