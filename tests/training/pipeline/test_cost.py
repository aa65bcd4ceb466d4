"""The cost guard counts a written file's tokens with the preparation tool's formula."""

from __future__ import annotations

import pytest

from tests.training.pipeline.test_pipeline import sports_frame
from training import preparation as prep
from training.pipeline.cost import file_tokens


@pytest.mark.unit
@pytest.mark.parametrize("model", ["babbage-002", "gpt-4o-mini-2024-07-18"])
def test_file_tokens_match_what_prepare_counted(tmp_path, model) -> None:
    prepared = prep.prepare(sports_frame(), model=model)
    train_path, _ = prep.write_prepared(prepared, tmp_path / "examples.jsonl")
    assert file_tokens(train_path, model) == prep.file_tokens(prepared.train, prepared)
