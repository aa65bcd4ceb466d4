"""A retraining started from Slack, with the real pipeline: one message, updated in place."""

from __future__ import annotations

import functools
import json

import pytest

from bot.retraining import Retrainer
from bot.slack_client import make_client
from tests.training.pipeline.test_pipeline import prepared_files, sports_frame
from training.config import SlackSettings
from training.pipeline.run import train_local
from training.storage.runs import RunStore


@pytest.mark.e2e
def test_a_retraining_from_slack_posts_one_progress_message(
    settings, database, slack_api, tmp_path
) -> None:
    settings = settings.with_changes(
        slack=SlackSettings(bot_token="xoxb-test", api_url=slack_api.url)
    )
    train_path, valid_path = prepared_files(sports_frame(other=True), tmp_path, "examples")
    retrain = functools.partial(train_local, train_file=train_path, valid_file=valid_path)
    retrainer = Retrainer(settings, database, retrain)

    future = retrainer.start(make_client(settings.slack), user="UADMIN", channel="C0123")
    info = future.result(timeout=240)  # a full local training run on a busy CI machine

    assert info.status == "active"
    [posted] = slack_api.calls_to("chat.postMessage")
    assert "Retraining started by <@UADMIN>" in posted.params["text"]
    ts = posted.response["ts"]
    updates = slack_api.calls_to("chat.update")
    assert updates
    assert {call.params["ts"] for call in updates} == {ts}
    assert any("Training the local model" in json.dumps(c.params["blocks"]) for c in updates)
    final = json.dumps(updates[-1].params["blocks"])
    assert "Promoted" in final  # the run's report is the last word, not overwritten
    assert RunStore(database).latest().slack_ts == ts
