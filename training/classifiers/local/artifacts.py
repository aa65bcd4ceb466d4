"""``LocalModel`` artifacts: ``.skops`` files (never pickle) loaded against an
explicit list of trusted types, with a metadata sidecar and a sha256 the
registry records, and the scorer file the Slack app loads beside them.

Imports ``skops`` only when saving or loading; never ``bot``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from training.classifiers import embedding
from training.classifiers.local.estimator import FORMAT_VERSION, LocalModel
from training.classifiers.scoring import files
from training.classifiers.scoring.files import ARTIFACT_SUFFIX, file_sha256
from training.errors import ModelFileError

# Only these types may appear in an artifact; anything else is refused on load.
TRUSTED_TYPES = [
    "training.classifiers.local.estimator.LocalModel",
    # The class's name in artifacts saved before it moved into ``estimator``.
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
    scorer = files.scorer_path(path)
    sidecar = {
        **model.metadata_,
        "sha256": file_sha256(path),
        "file": path.name,
        "scorer_sha256": files.save(model.scorer(), scorer),
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
