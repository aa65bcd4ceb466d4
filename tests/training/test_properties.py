"""Property-based tests: arbitrary input gets an answer or a clear SportbotError, never a crash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training import preparation as prep
from training.classifiers.base import TextClassifier
from training.errors import ClassifyError, SportbotError

pytestmark = pytest.mark.unit
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(call, *args, **kwargs):
    """(result, None) or (None, the SportbotError): any other exception fails the test."""
    try:
        return call(*args, **kwargs), None
    except SportbotError as error:
        return None, error


any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
control_heavy = st.text(alphabet=st.characters(max_codepoint=0x20), max_size=50)


@FAST
@given(data=st.binary(max_size=2000), ext=st.sampled_from(prep.INPUT_EXTENSIONS))
def test_read_input_on_arbitrary_bytes_answers_or_refuses_clearly(data: bytes, ext: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{ext}"
        path.write_bytes(data)
        frame, error = outcome(prep.read_input, path)
    if error is not None:
        assert str(error).strip()
        assert "\n" not in str(error).strip()
    else:
        assert isinstance(frame, pd.DataFrame)
        assert not frame.empty


@FAST
@given(
    rows=st.lists(
        st.one_of(any_text, st.builds(json.dumps, st.dictionaries(any_text, any_text))), max_size=20
    )
)
def test_read_input_on_arbitrary_jsonl_lines(rows: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl"
        path.write_text("\n".join(rows), encoding="utf-8")
        frame, error = outcome(prep.read_input, path)
    assert (frame is None) != (error is None)


@settings(max_examples=25, deadline=None)
@given(
    prompts=st.lists(st.one_of(any_text, control_heavy), min_size=1, max_size=30),
    labels=st.lists(
        st.sampled_from(["baseball", "hockey", "other", "", "HOCKEY"]), min_size=30, max_size=30
    ),
)
def test_prepare_on_arbitrary_text_never_crashes(prompts: list[str], labels: list[str]) -> None:
    frame = pd.DataFrame({"prompt": prompts, "completion": labels[: len(prompts)]})
    prepared, error = outcome(prep.prepare, frame, model="babbage-002")
    if error is not None:
        assert str(error).strip()
    else:
        assert len(prepared.train) + (0 if prepared.valid is None else len(prepared.valid)) <= len(
            frame
        )


class _Uniform(TextClassifier):
    model_id = "uniform"
    classes_ = np.asarray(["baseball", "hockey", "other"])

    def predict_proba(self, texts):
        return np.full((len(texts), 3), 1 / 3)


@FAST
@given(text=st.one_of(any_text, control_heavy, st.binary(max_size=300)))
def test_classify_answers_or_refuses_empty_text(text: str | bytes) -> None:
    prediction, error = outcome(_Uniform().classify, text)
    if error is not None:
        assert isinstance(error, ClassifyError)
        assert "empty" in str(error)
    else:
        assert prediction.label in {"baseball", "hockey", "other"}
        assert abs(sum(prediction.probabilities.values()) - 1) < 1e-9
