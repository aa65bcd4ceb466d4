"""A local model saved by an older sportbot still loads and answers as it did.

``tests/data/artifacts/`` holds an artifact written before the model families
moved into subpackages; skops names its classes by their dotted path then, so
this proves the old names still resolve and are trusted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from training.classifiers.local import artifacts
from training.classifiers.scoring import files

pytestmark = pytest.mark.unit

ARTIFACTS = Path(__file__).resolve().parents[2] / "data" / "artifacts"
EXPECTED = json.loads((ARTIFACTS / "expected.json").read_text(encoding="utf-8"))


def _artifact() -> Path:
    return ARTIFACTS / EXPECTED["artifact"]


def test_the_artifact_names_the_classes_of_its_day() -> None:
    assert "training.classifiers.local.LocalModel" in sio.get_untrusted_types(file=_artifact())


def test_an_old_artifact_loads_with_the_registry_hash_and_answers_the_same() -> None:
    model = artifacts.load(_artifact(), expected_sha256=EXPECTED["sha256"])
    assert [str(label) for label in model.classes_] == EXPECTED["classes"]
    np.testing.assert_allclose(
        model.predict_proba(EXPECTED["probes"]), EXPECTED["proba"], rtol=1e-9, atol=1e-15
    )
    np.testing.assert_allclose(
        np.exp(model.decision_function(EXPECTED["probes"])),
        EXPECTED["full_proba"],
        rtol=1e-9,
        atol=1e-15,
    )


def test_an_old_artifact_loads_against_its_sidecar_hash() -> None:
    assert artifacts.load(_artifact()).model_id == _artifact().stem


def test_an_old_scorer_file_answers_the_same() -> None:
    scored = files.load(files.scorer_path(_artifact()), EXPECTED["scorer_sha256"])
    np.testing.assert_allclose(
        scored.predict_proba(EXPECTED["probes"]), EXPECTED["proba"], rtol=1e-9, atol=1e-15
    )
