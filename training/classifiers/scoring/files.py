"""The ``.scorer.npz`` file beside a local model's artifact, and file hashing.

The file holds arrays only (loaded with ``allow_pickle=False``), and the
registry records its sha256 like the artifact's, so a changed file is refused.
Imports numpy; never scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from training.classifiers.scoring.scorer import ScoredModel, Scorer
from training.errors import ModelFileError

ARTIFACT_SUFFIX = ".skops"  # the LocalModel artifact the scorer file goes with
SCORER_SUFFIX = ".scorer.npz"
SCORER_FORMAT = 2  # 2: short-text kind stage and embeddings
SCORER_FORMATS = (1, SCORER_FORMAT)

_ARRAYS = ("classes", "kinds", "table", "intercept", "sport_offsets", "thread_keys")
_ARRAYS_2 = ("embedding_coef", "embedding_intercept")  # format 2 on


def scorer_path(artifact: Path | str) -> Path:
    """Where ``local.artifacts.save`` writes the scoring arrays of the artifact at ``artifact``."""
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
