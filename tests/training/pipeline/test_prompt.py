"""A prompted run (backend ``openai-prompt``) through the same pipeline as every model:
collect, build the bank, evaluate against the active model, gate, register, report.

The stand-in answers chat requests by a keyword rule; the tests choose the rule so
that a candidate is as good as the local model (promoted) or misses a label it has
(refused). They check the gate and the records, not a real model's accuracy.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.training.pipeline.test_pipeline import collector, slack_client, sports_frame
from training.classifiers import example_bank
from training.classifiers.loading import load_classifier
from training.config import PromptSettings, SlackSettings, TrainingSettings
from training.errors import CostCapError, RunError
from training.pipeline.context import RunRequest
from training.pipeline.run import train, train_configured
from training.schedule import scheduled_backend
from training.storage.registry import ModelRegistry
from training.storage.runs import RunStore

pytestmark = pytest.mark.e2e

OTHER_WORDS = re.compile(r"compiler|kernel", re.IGNORECASE)
PROMPT = RunRequest(backend="openai-prompt")


def three_label_scorer(model: str, text: str) -> dict[str, float]:
    """The keyword rule with ``other`` too: as good as the local model on sports_frame."""
    if OTHER_WORDS.search(text):
        return {"other": -0.01, "baseball": -5.0}
    label = "hockey" if re.search(r"puck|goalie|rink", text) else "baseball"
    return {label: -0.01, "other": -6.0}


@pytest.fixture
def prompt_settings(settings, openai_api, slack_api):
    return settings.with_changes(
        openai=openai_api.settings(),
        slack=SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, report_channel="C0REP"),
        prompt=PromptSettings(examples=4),
    )


@pytest.fixture
def local_active(prompt_settings, database):
    """A local model trained on the same examples, active: what the prompted run faces."""
    frame = sports_frame(other=True)
    outcome = train(
        prompt_settings, database, RunRequest(backend="local"), collector=collector(frame)
    )
    assert outcome.model.status == "active"
    return outcome.model


def chat_requests(openai_api) -> list:
    return openai_api.requests_to("/v1/chat/completions", "POST")


def test_a_prompted_run_is_judged_against_the_local_model_and_promoted(
    prompt_settings, database, openai_api, slack_api, local_active
) -> None:
    openai_api.scorer = three_label_scorer
    lines: list[str] = []
    outcome = train(
        prompt_settings,
        database,
        PROMPT,
        collector=collector(sports_frame(other=True)),
        progress=lines.append,
        slack=slack_client(slack_api),
    )

    run, info = outcome.run, outcome.model
    assert run.status == "succeeded"
    assert run.promoted is True
    assert run.base_model == "gpt-4.1-mini"  # SPORTBOT_PROMPT_MODEL's default
    assert run.active_metrics["model"] == local_active.id  # judged against the local model
    assert run.active_metrics["n"] == run.candidate_metrics["n"]  # on the same examples
    assert info.backend == "openai-prompt"
    assert info.status == "active"
    bank = example_bank.load_bank(info.artifact_path, info.artifact_sha256)
    assert info.data_sha256 == bank.version  # the registry entry names the bank's version
    assert info.id == f"prompt:gpt-4.1-mini:{bank.version[:12]}"
    assert info.metrics["bank"]["version"] == bank.version
    assert info.metrics["cost"]["usd_per_message"] > 0
    # every held-out example was one request (the local model answered its own)
    assert len(chat_requests(openai_api)) == run.candidate_metrics["n"]
    assert run.estimated_cost == pytest.approx(
        info.metrics["cost"]["usd_per_message"] * run.candidate_metrics["n"]
    )
    assert any("per 1,000" in line for line in lines)
    assert not openai_api.requests_to("/v1/files", "POST")  # nothing uploaded
    assert not openai_api.requests_to("/v1/fine_tuning/jobs", "POST")
    final = json.dumps(slack_api.calls_to("chat.update")[-1].params["blocks"])
    assert info.id in final
    assert "Promoted" in final
    assert f"Example bank {bank.version[:12]}" in final
    assert "per 1,000" in final
    assert (outcome.folder / "confusion.png").exists()
    # the registry entry loads as the classifier the Slack app will use
    assert load_classifier(info, prompt_settings).classify("the goalie").label == "hockey"


def test_a_prompted_candidate_that_misses_other_is_refused_by_the_gate(
    prompt_settings, database, openai_api, local_active
) -> None:
    # The stand-in's default rule never answers "other": worse than the local model.
    outcome = train(
        prompt_settings, database, PROMPT, collector=collector(sports_frame(other=True))
    )

    assert outcome.run.status == "succeeded"
    assert outcome.run.promoted is False
    assert outcome.model.status == "candidate"
    assert ModelRegistry(database).active().id == local_active.id
    assert outcome.report["reason"].startswith("accuracy")
    assert "below active" in outcome.report["reason"]


def test_declining_the_cost_question_sends_no_request(
    prompt_settings, database, openai_api
) -> None:
    questions: list[str] = []

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    with pytest.raises(RunError, match="no request was sent"):
        train(prompt_settings, database, PROMPT, collector=collector(), confirm=decline)

    assert "held-out examples for $" in questions[0]
    assert not chat_requests(openai_api)
    run = RunStore(database).latest()
    assert run.status == "cancelled"
    assert RunStore(database).lock_holder() is None


def test_the_cost_cap_refuses_the_evaluation_before_any_request(
    prompt_settings, database, openai_api
) -> None:
    capped = prompt_settings.with_changes(training=TrainingSettings(cost_cap_usd=0.000001))
    with pytest.raises(CostCapError, match="SPORTBOT_COST_CAP_USD"):
        train(capped, database, PROMPT, collector=collector())
    assert not chat_requests(openai_api)
    assert RunStore(database).latest().status == "failed"


def test_sportbot_backend_is_what_slack_and_the_clock_train(
    prompt_settings, database, openai_api
) -> None:
    configured = prompt_settings.with_changes(training=TrainingSettings(backend="openai-prompt"))
    assert scheduled_backend(configured) == "openai-prompt"
    assert scheduled_backend(prompt_settings) == "openai"  # unset: as before
    from bot.retraining import default_retrain

    assert default_retrain() is train_configured  # what /sport retrain runs

    info = train_configured(
        configured, database, trigger="slack", requested_by="UADMIN", collector=collector()
    )

    assert info.backend == "openai-prompt"
    assert info.status == "active"  # nothing active to compare with
    assert RunStore(database).latest().requested_by == "UADMIN"
    assert not openai_api.requests_to("/v1/fine_tuning/jobs", "POST")


def test_cli_trains_the_prompted_backend_then_classifies_with_it(
    monkeypatch, openai_api, tmp_path
) -> None:
    from typer.testing import CliRunner

    from tests.standins.openai_api import TEST_API_KEY
    from training import preparation as prep
    from training.cli import app

    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    monkeypatch.setenv("SPORTBOT_OPENAI_MAX_RETRIES", "0")
    prepared = prep.prepare(sports_frame(), model="babbage-002")
    train_path, valid_path = prep.write_prepared(prepared, tmp_path / "sport.jsonl")
    runner = CliRunner()

    trained = runner.invoke(
        app,
        [
            *["train", "--backend", "openai-prompt", "--yes"],
            *["--train", str(train_path), "--valid", str(valid_path)],
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert "(openai-prompt) is active" in trained.output
    assert "classifying costs about" in trained.output

    classified = runner.invoke(app, ["classify", "--json", "the goalie stopped the puck"])
    assert classified.exit_code == 0, classified.output
    answer = json.loads(classified.output)
    assert answer["label"] == "hockey"
    assert answer["model"].startswith("prompt:gpt-4.1-mini:")
    assert chat_requests(openai_api)[-1].json["messages"][-1]["content"] == (
        "the goalie stopped the puck"
    )


def test_cli_names_the_key_when_it_is_missing(monkeypatch) -> None:
    from typer.testing import CliRunner

    from training.cli import app

    result = CliRunner().invoke(app, ["train", "--backend", "openai-prompt", "--yes"])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY is not set; the openai-prompt backend needs it." in result.output
