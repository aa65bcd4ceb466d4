"""`sportbot classify`, `models` and `promote` as a user runs them."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training import cli
from training.classifiers.local import artifacts
from training.classifiers.local.estimator import LocalModel
from training.classifiers.scoring.files import file_sha256
from training.cli import train as train_commands
from training.config import Settings
from training.storage.database import connect
from training.storage.registry import ModelRegistry
from training.storage.runs import RunStore

pytestmark = pytest.mark.unit
runner = CliRunner()

TEXTS = {
    "baseball": ["the pitcher threw a no-hitter", "home run in the ninth inning", "batting .300"],
    "hockey": [
        "the goalie made forty saves",
        "power play goal on the puck",
        "slapshot from the point",
    ],
    "other": ["standup moved to ten", "the deploy is blocked", "lunch order for the team"],
}


def _register_tiny_model(home: Path, model_id_suffix: str = "") -> str:
    texts = [text + model_id_suffix for texts in TEXTS.values() for text in texts * 4]
    labels = [label for label, texts in TEXTS.items() for _ in texts * 4]
    model = LocalModel().fit(texts, labels)
    path = artifacts.save(model, home / "models")
    registry = ModelRegistry(connect(Settings(home=home)))
    registry.register(
        id=model.model_id,
        backend="local",
        labels=list(model.classes_),
        artifact_path=str(path),
        artifact_sha256=file_sha256(path),
        metrics={"accuracy": 1.0},
    )
    return model.model_id


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_without_the_archive_or_internet_classify_fails_with_one_line(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(**_kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr("sklearn.datasets.fetch_20newsgroups", offline)
    result = runner.invoke(cli.app, ["classify", "The goalie stopped 40 shots"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "SPORTBOT_20NEWS" in lines[0]
    assert RunStore(connect(Settings(home=home))).list() == []  # no failed run left behind


def test_a_missing_archive_path_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPORTBOT_20NEWS", str(tmp_path / "nope.tar.gz"))
    result = runner.invoke(cli.app, ["classify", "hello"])
    assert result.exit_code == 1
    assert "nope.tar.gz does not exist" in result.output
    assert "Traceback" not in result.output


def test_classify_json_gives_one_object_per_text(home: Path, tmp_path: Path) -> None:
    model_id = _register_tiny_model(home)
    ModelRegistry(connect(Settings(home=home))).promote(model_id)
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"text": "the goalie made saves"}\n\n{"text": "deploy is blocked"}\n')
    result = runner.invoke(
        cli.app, ["classify", "home run in the ninth", "--input", str(lines), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["label"] for row in rows] == ["baseball", "hockey", "other"]
    for row in rows:
        assert row["model"] == model_id
        assert set(row["probabilities"]) == {"baseball", "hockey", "other"}
        assert row["confidence"] == max(row["probabilities"].values())


def test_classify_without_a_model_says_on_stderr_that_it_trains_one_first(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tiny_training(settings: Settings, **_options):
        registry = ModelRegistry(connect(settings))
        return registry.promote(_register_tiny_model(home))

    monkeypatch.setattr(train_commands, "_ensure_data", lambda settings, path: None)
    monkeypatch.setattr(train_commands, "_train_local", tiny_training)
    result = runner.invoke(cli.app, ["classify", "--json", "the goalie made saves"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (
        "No model yet: training the local model first (about a minute)."
    )
    assert json.loads(result.stdout)["label"] == "hockey"


def test_classify_refuses_empty_text_and_bad_input_lines(home: Path, tmp_path: Path) -> None:
    ModelRegistry(connect(Settings(home=home))).promote(_register_tiny_model(home))
    assert "empty" in runner.invoke(cli.app, ["classify", "   "]).output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"nope": 1}\n')
    result = runner.invoke(cli.app, ["classify", "--input", str(bad)])
    assert result.exit_code == 1
    assert "line 2" in result.output


def test_classify_with_model_picks_a_registry_model(home: Path) -> None:
    first = _register_tiny_model(home)
    second = _register_tiny_model(home, " again")
    ModelRegistry(connect(Settings(home=home))).promote(first)
    result = runner.invoke(cli.app, ["classify", "--json", "--model", second, "goalie saves"])
    assert json.loads(result.output)["model"] == second


def test_unknown_model_and_missing_openai_key_are_one_line(home: Path) -> None:
    result = runner.invoke(cli.app, ["classify", "--model", "nope", "x"])
    assert result.exit_code == 1
    assert "No model 'nope'" in result.output
    result = runner.invoke(cli.app, ["classify", "--model", "ft:babbage-002:org::abc", "x"])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.output


def test_models_lists_and_promote_switches(home: Path) -> None:
    first = _register_tiny_model(home)
    second = _register_tiny_model(home, " again")
    assert runner.invoke(cli.app, ["promote", first]).exit_code == 0
    result = runner.invoke(cli.app, ["promote", second])
    assert f"{second} is now the active model" in result.output
    listing = runner.invoke(cli.app, ["models"], env={"COLUMNS": "200"}).output
    assert first in listing
    assert second in listing
    statuses = {info.id: info.status for info in ModelRegistry(connect(Settings(home=home))).list()}
    assert statuses == {first: "retired", second: "active"}
