"""The enumerations keep the strings rows, files and payloads have always held."""

from __future__ import annotations

import json

import pytest

from training import states
from training.states import Backend, Label, ModelStatus, RunStatus, TagStatus

pytestmark = pytest.mark.unit


def test_values_are_todays_strings() -> None:
    assert [b.value for b in Backend] == ["local", "openai", "openai-prompt"]
    assert [s.value for s in ModelStatus] == ["candidate", "active", "retired"]
    assert [label.value for label in states.LABELS] == ["baseball", "hockey", "other"]
    assert {s.value for s in states.FINISHED_RUNS} == {"succeeded", "failed", "cancelled"}
    assert [s.value for s in states.VoteState] == [
        "accepted",
        "superseded",
        "withdrawn",
        "rejected",
    ]
    assert {s.value for s in TagStatus} == {
        "queued", "pending", "skipped", "tagged", "corrected", "failed",
    }  # fmt: skip


def test_a_member_is_its_string_in_comparisons_and_json() -> None:
    assert Backend.openai_prompt == "openai-prompt"
    assert {"paused": 1}[RunStatus.paused] == 1  # a dict keyed by strings finds it
    assert json.dumps({"label": Label.other, "status": ModelStatus.active}) == (
        '{"label": "other", "status": "active"}'
    )
    assert f"{Label.hockey}" == "hockey"


def test_members_are_stored_as_their_strings_and_read_back(database) -> None:
    from sqlalchemy import text

    from training.storage.registry import ModelRegistry

    registry = ModelRegistry(database)
    registry.register(id="prompt:m:1", backend=Backend.openai_prompt, labels=list(states.LABELS))
    registry.promote("prompt:m:1")
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT backend, status, labels FROM models")).one()
    assert tuple(row[:2]) == ("openai-prompt", "active")
    active = registry.active()
    assert (active.backend, active.status) == (Backend.openai_prompt, ModelStatus.active)
