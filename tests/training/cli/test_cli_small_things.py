"""Issue 15, item 13 (CLI parts): small things a new user hit.

Ids in `sportbot models` are never cut, and `promote` accepts a unique prefix;
`data`/`train` find an archive already extracted under SPORTBOT_HOME/cache;
`train --backend openai` on a terminal shows the estimate and asks [y/N]
(`--yes` skips); SPORTBOT_COST_CAP_USD has a default for unattended runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.training.cli.test_cli import _register_tiny_model
from tests.training.openai_api.test_openai_errors import _prepared
from training import cli
from training.cli import common
from training.config import DEFAULT_COST_CAP_USD, Settings
from training.errors import ConfigError
from training.storage.database import connect
from training.storage.registry import ModelRegistry

runner = CliRunner()
UPLOADS = "/v1/files"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.mark.e2e
def test_models_shows_ids_whole_at_80_columns_and_promote_takes_a_prefix(
    home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    first = _register_tiny_model(home)
    second = first[:8] + "0" * (len(first) - 8)  # same beginning, another model
    registry = ModelRegistry(connect(Settings(home=home)))
    registry.register(
        **{
            name: getattr(registry.get(first), name)
            for name in ("backend", "labels", "artifact_path", "artifact_sha256")
        },
        id=second,
    )
    listed = runner.invoke(cli.app, ["models"])
    assert listed.exit_code == 0
    assert "…" not in listed.output
    id_column = "".join(
        cells[2].strip()
        for cells in (line.split("│") for line in listed.output.splitlines())
        if len(cells) > 2
    )
    assert first in id_column
    assert second in id_column

    common = next(i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b)
    promoted = runner.invoke(cli.app, ["promote", second[: common + 1] + "…"])
    assert promoted.exit_code == 0, promoted.output
    assert f"{second} is now the active model" in promoted.output

    ambiguous = runner.invoke(cli.app, ["promote", first[:common]])
    assert ambiguous.exit_code == 1
    assert "matches 2 models" in ambiguous.output
    assert "Traceback" not in ambiguous.output


def _fake_extraction(cache: Path) -> None:
    root = cache / "20news-bydate-1234-5678"
    for subset in ("train", "test"):
        for group, text in (
            ("rec.sport.baseball", "A home run in the ninth"),
            ("rec.sport.hockey", "The goalie stopped the puck"),
        ):
            folder = root / f"20news-bydate-{subset}" / group
            folder.mkdir(parents=True)
            (folder / "1").write_text(f"From: someone\n\n{text}\n", encoding="latin1")


@pytest.mark.e2e
def test_data_without_sportbot_20news_uses_the_archive_already_extracted(
    home: Path, monkeypatch
) -> None:
    from training import data
    from training.errors import DataError

    def offline(*_args, **_kwargs):
        raise DataError("Cannot download 20 Newsgroups (offline)")

    monkeypatch.setattr(data, "_from_sklearn", offline)
    _fake_extraction(home / "cache")

    result = runner.invoke(cli.app, ["data"])

    assert result.exit_code == 0, result.output
    assert "2 train posts" in result.output
    assert "rec.sport.hockey" in result.output
    assert data.Source(None, home / "cache").describe().endswith("20news-bydate-1234-5678")


def _openai_env(monkeypatch, openai_api) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    monkeypatch.setenv("SPORTBOT_OPENAI_MAX_RETRIES", "0")


def _train_openai(tmp_path: Path, *extra: str, answer: str | None = None):
    path = _prepared(tmp_path)
    args = ["train", "--backend", "openai", "--train", str(path), "--valid", str(path), "--no-wait"]
    return runner.invoke(cli.app, [*args, *extra], input=answer)


@pytest.mark.e2e
def test_train_openai_on_a_terminal_asks_with_the_estimate_and_no_means_nothing_spent(
    openai_api, monkeypatch, tmp_path
) -> None:
    _openai_env(monkeypatch, openai_api)
    monkeypatch.setattr(common, "stdin_is_tty", lambda: True)

    declined = _train_openai(tmp_path, answer="n\n")

    assert declined.exit_code == 1
    assert "[y/N]" in declined.output
    assert "Estimated" in declined.output
    assert "$" in declined.output.split("[y/N]")[0]  # the cost is shown before the question
    assert "nothing spent" in declined.output
    assert not openai_api.requests_to(UPLOADS, "POST")
    assert "cancelled" in runner.invoke(cli.app, ["runs"]).output

    accepted = _train_openai(tmp_path, answer="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.e2e
def test_yes_skips_the_question(openai_api, monkeypatch, tmp_path) -> None:
    _openai_env(monkeypatch, openai_api)
    monkeypatch.setattr(common, "stdin_is_tty", lambda: True)

    result = _train_openai(tmp_path, "--yes")

    assert result.exit_code == 0, result.output
    assert "[y/N]" not in result.output
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.e2e
def test_without_a_terminal_nothing_is_asked_and_the_default_cap_applies(
    openai_api, monkeypatch, tmp_path
) -> None:
    _openai_env(monkeypatch, openai_api)
    monkeypatch.setenv("SPORTBOT_TRAINING_PRICES", "babbage-002=100000")  # $$$ per token

    result = _train_openai(tmp_path)

    assert result.exit_code == 1
    assert "[y/N]" not in result.output
    assert f"cap ${DEFAULT_COST_CAP_USD:.2f}" in result.output
    assert not openai_api.requests_to(UPLOADS, "POST")


@pytest.mark.unit
def test_cost_cap_default_and_none() -> None:
    home = {"SPORTBOT_HOME": "/tmp/x"}
    assert Settings.from_env(home).training.cost_cap_usd == DEFAULT_COST_CAP_USD == 10.0
    assert Settings.from_env(home | {"SPORTBOT_COST_CAP_USD": "none"}).training.cost_cap_usd is None
    assert Settings.from_env(home | {"SPORTBOT_COST_CAP_USD": "2.5"}).training.cost_cap_usd == 2.5
    with pytest.raises(ConfigError, match="SPORTBOT_COST_CAP_USD"):
        Settings.from_env(home | {"SPORTBOT_COST_CAP_USD": "lots"})
