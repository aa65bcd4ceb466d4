"""/sport called directly with stand-in ack, respond, client and collaborators."""

from __future__ import annotations

import pytest

from bot import blocks
from bot.listeners.commands.sport import sport_command
from bot.retraining import Retrainer
from tests.bot.listeners.stubs import Recorder, admins
from training.errors import RunInProgressError
from training.states import Backend

pytestmark = pytest.mark.unit


def _sport(text, ack, respond, client, settings, models, *, is_admin=False, retrainer=None):
    command = {"text": text, "user_id": "U1", "channel_id": "C1"}
    retrainer = retrainer or Recorder(spec=Retrainer)
    sport_command(
        ack,
        command,
        respond,
        client,
        settings=settings,
        models=models,
        admins=admins(is_admin),
        retrainer=retrainer,
    )
    return retrainer


def test_help_is_the_acknowledgement(ack, respond, client, settings, models):
    _sport("help", ack, respond, client, settings, models)

    assert ack.calls == [((blocks.HELP_TEXT,), {})]
    assert respond.calls == []


def test_status_names_the_missing_model_and_run(ack, respond, client, settings, models):
    _sport("status", ack, respond, client, settings, models)

    assert "No model yet" in ack.text()
    assert "No training run yet." in ack.text()


@pytest.mark.parametrize(
    ("text", "where"), [("Puck drop", "ephemeral"), ("say Puck", "in_channel")]
)
def test_a_local_model_answers_in_the_acknowledgement(
    ack, respond, client, settings, models, text, where
):
    _sport(text, ack, respond, client, settings, models)

    [(_, answer)] = ack.calls
    assert "hockey" in answer["text"].lower()
    assert answer["response_type"] == where
    assert answer["blocks"]
    assert respond.calls == []


def test_a_remote_model_acknowledges_first_then_responds(ack, respond, client, settings, models):
    models.answers["current"] = (Backend.openai, None)

    _sport("Puck drop", ack, respond, client, settings, models)

    assert ack.text() == "Classifying…"
    assert "hockey" in respond.text().lower()
    assert respond.calls[0][1]["replace_original"] is False


def test_retrain_is_refused_to_non_admins(ack, respond, client, settings, models):
    retrainer = _sport("retrain", ack, respond, client, settings, models, is_admin=False)

    assert ack.calls == [((), {})]
    assert "Only admins" in respond.text()
    assert retrainer.calls == []


def test_retrain_starts_for_an_admin_in_the_report_channel(ack, respond, client, settings, models):
    retrainer = _sport("retrain", ack, respond, client, settings, models, is_admin=True)

    [(_, where)] = retrainer.called("start")
    assert where == {"user": "U1", "channel": "CREPORT"}
    assert respond.text() == "Retraining started: progress in <#CREPORT>."


def test_retrain_already_running_says_not_started(ack, respond, client, settings, models):
    def busy(*_, **__):
        raise RunInProgressError("run 7 is in progress")

    retrainer = Recorder(spec=Retrainer, start=busy)
    _sport("retrain", ack, respond, client, settings, models, is_admin=True, retrainer=retrainer)

    assert respond.text() == "Not started: run 7 is in progress"
