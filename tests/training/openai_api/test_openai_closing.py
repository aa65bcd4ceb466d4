"""Issue 15, item 10: OpenAI fine-tuning is closing; sportbot meets a refusal gracefully.

The stand-in refuses job creation as the real API does for an organisation that
may no longer fine-tune (a 4xx with the documented error shape).
"""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from tests.training.cli.test_cli import _register_tiny_model
from tests.training.openai_api.test_openai_errors import _prepared
from tests.training.pipeline.test_pipeline import collector
from tests.training.test_schedule import add_example
from training import schedule
from training.config import Settings, TrainingSettings
from training.storage.database import connect
from training.storage.registry import ModelRegistry
from training.storage.runs import RunStore

pytestmark = pytest.mark.e2e
JOBS = "/v1/fine_tuning/jobs"


@pytest.fixture(autouse=True)
def _fresh_clock():
    schedule.forget_refusals()
    yield
    schedule.forget_refusals()


def test_a_refused_job_is_one_line_the_run_says_why_and_the_active_model_stays(
    openai_api, monkeypatch, tmp_path
) -> None:
    from training import cli

    home = tmp_path / "home"
    active = _register_tiny_model(home)
    ModelRegistry(connect(Settings(home=home))).promote(active)
    openai_api.refuse_fine_tuning()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    monkeypatch.setenv("SPORTBOT_OPENAI_MAX_RETRIES", "0")
    path = _prepared(tmp_path)

    result = CliRunner().invoke(
        cli.app, ["train", "--backend", "openai", "--train", str(path), "--valid", str(path)]
    )

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "refused to create the fine-tuning job" in line
    assert "--backend local" in line
    db = connect(Settings(home=home))
    run = RunStore(db).latest()
    assert run.status == "failed"
    assert "--backend local" in run.error
    assert RunStore(db).lock_holder() is None  # the lock is released
    report = json.loads((home / "runs" / str(run.id) / "report.json").read_text())
    assert "refused to create the fine-tuning job" in report["error"]
    assert ModelRegistry(db).active().id == active  # the active model stays
    listed = CliRunner().invoke(cli.app, ["runs"])
    assert "refused to create the fine-tuning job" in listed.output


def _clock_settings(settings, openai_api, refused: str = "local"):
    return settings.with_changes(
        openai=openai_api.settings(),
        training=TrainingSettings(poll_interval=0.0, epochs=1, openai_refused=refused),
    )


def test_the_clock_says_it_once_then_trains_the_local_model(
    settings, database, openai_api, caplog
) -> None:
    openai_api.refuse_fine_tuning()
    clock = _clock_settings(settings, openai_api)
    caplog.set_level(logging.INFO, logger="training.schedule")

    first = schedule.retrain_if_needed(
        clock, database, collector=collector(upto=add_example(database))
    )
    assert len(openai_api.requests_to(JOBS, "POST")) == 1
    assert first.run.backend == "local"  # the same tick trains the local model
    assert first.run.status == "succeeded"

    second = schedule.retrain_if_needed(
        clock, database, collector=collector(upto=add_example(database, "a new one"))
    )
    assert second.run.backend == "local"
    assert len(openai_api.requests_to(JOBS, "POST")) == 1  # OpenAI is not asked again
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1  # said once
    assert refusals[0].levelno == logging.ERROR
    assert "SPORTBOT_OPENAI_REFUSED" in refusals[0].getMessage()
    runs = RunStore(database).list()
    assert [r.backend for r in runs] == ["local", "local", "openai"]
    assert runs[-1].status == "failed"


def test_the_clock_can_skip_instead(settings, database, openai_api) -> None:
    openai_api.refuse_fine_tuning()
    clock = _clock_settings(settings, openai_api, refused="skip")

    first = schedule.retrain_if_needed(
        clock, database, collector=collector(upto=add_example(database))
    )
    second = schedule.retrain_if_needed(
        clock, database, collector=collector(upto=add_example(database, "a new one"))
    )

    assert first is None
    assert second is None
    assert len(openai_api.requests_to(JOBS, "POST")) == 1
    assert [r.backend for r in RunStore(database).list()] == ["openai"]


def test_refused_fallback_setting_is_read_and_checked() -> None:
    from training.errors import ConfigError

    env = {"SPORTBOT_HOME": "/tmp/x", "SPORTBOT_OPENAI_REFUSED": "skip"}
    assert Settings.from_env(env).training.openai_refused == "skip"
    assert Settings.from_env({"SPORTBOT_HOME": "/tmp/x"}).training.openai_refused == "local"
    with pytest.raises(ConfigError, match="SPORTBOT_OPENAI_REFUSED"):
        Settings.from_env({"SPORTBOT_HOME": "/tmp/x", "SPORTBOT_OPENAI_REFUSED": "retry"})
