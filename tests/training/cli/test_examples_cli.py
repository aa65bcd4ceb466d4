"""`sportbot examples`: list, export (the training set, or every vote) and reject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training import cli
from training.config import Settings
from training.pipeline.collect import slack_examples
from training.storage.database import connect
from training.storage.teaching import REJECTED, source_key
from training.storage.votes import VoteStore

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def votes(tmp_path: Path) -> VoteStore:
    store = VoteStore(connect(Settings(home=tmp_path / "home")))
    for ts, text, label, user in [
        ("1.1", "the tendy stood on his head", "hockey", "UA"),
        ("1.1", "the tendy stood on his head", "hockey", "UB"),
        ("2.1", "oppo taco in the eighth", "baseball", "UA"),
        ("3.1", "deploy after standup", "other", "UBAD"),
    ]:
        store.cast(
            key=source_key("C1", ts, text),
            text=text,
            label=label,
            user=user,
            is_admin=False,
            source="reaction",
            channel="C1",
            ts=ts,
        )
    return store


def test_list_shows_each_label_with_its_state(votes):
    result = runner.invoke(cli.app, ["examples", "--user", "UA"])

    assert result.exit_code == 0, result.output
    assert "oppo taco in the eighth" in result.output
    assert "accepted" in result.output
    assert "UBAD" not in result.output


def test_export_reproduces_the_training_set(votes, tmp_path):
    result = runner.invoke(cli.app, ["examples", "export", str(tmp_path / "out.jsonl")])

    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    frame, _ = slack_examples(
        votes.db, ("baseball", "hockey", "other"), Settings(home=tmp_path).teaching
    )
    assert sorted((r["text"], r["label"], r["weight"]) for r in rows) == sorted(
        map(tuple, frame.values.tolist())
    )
    tendy = next(row for row in rows if row["label"] == "hockey")
    assert tendy["supporters"] == ["UA", "UB"]


def test_reject_by_user_and_by_id_then_export_all_keeps_them(votes):
    assert runner.invoke(cli.app, ["examples", "reject", "--user", "UBAD"]).exit_code == 0
    first = votes.corrections()[-1].id
    assert (
        "1 label(s) rejected" in runner.invoke(cli.app, ["examples", "reject", str(first)]).output
    )

    exported = runner.invoke(cli.app, ["examples", "export", "--all"])

    rows = [json.loads(line) for line in exported.output.splitlines()]
    assert len(rows) == 4  # nothing is deleted
    assert [row["state"] for row in rows] == [REJECTED, "accepted", "accepted", REJECTED]
    assert [row["decided_by"] for row in rows] == ["cli", None, None, "cli"]


def test_reject_needs_ids_or_a_user_and_says_so_in_one_line(votes):
    result = runner.invoke(cli.app, ["examples", "reject"])

    assert result.exit_code == 1
    assert "Give the ids to reject, or --user" in result.output
    assert "Traceback" not in result.output
