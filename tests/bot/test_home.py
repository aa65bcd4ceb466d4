"""App Home: model, accuracy chart, weekly counts, Retrain for admins only."""

from __future__ import annotations

import json
import time

import pytest

from tests.bot.conftest import ADMIN
from training.storage.schema import TrainingRun

pytestmark = pytest.mark.e2e


def _open_home(bot, user):
    return bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})


def _home(slack_api):
    call = slack_api.wait_for("views.publish")[-1]
    return call.params["user_id"], str(call.params["view"])


def _blocks(slack_api):
    view = slack_api.wait_for("views.publish")[-1].params["view"]
    return (json.loads(view) if isinstance(view, str) else view)["blocks"]


def test_admin_sees_model_chart_counts_and_retrain(bot, slack_api, database):
    with database.session() as session:
        for accuracy in (0.81, 0.9):
            session.add(
                TrainingRun(
                    backend="local",
                    base_model="local",
                    status="succeeded",
                    candidate_metrics={"accuracy": accuracy},
                )
            )
    bot.message("the goalie stopped the puck", ts="20.1")
    slack_api.wait_for("reactions.add")
    time.sleep(0.2)

    assert _open_home(bot, ADMIN).status == 200

    user, view = _home(slack_api)
    assert user == ADMIN
    assert "fake-1" in view
    assert "93.0%" in view
    assert "1 messages tagged" in view
    assert "home_retrain" in view
    # The chart is a PNG uploaded with files_upload_v2, shown by an image block.
    [image] = [b for b in _blocks(slack_api) if b["type"] == "image"]
    uploaded = slack_api.files[image["slack_file"]["id"]]
    assert uploaded["bytes"].startswith(b"\x89PNG")
    assert "█" not in view

    _open_home(bot, ADMIN)  # the same runs: the chart is not uploaded again
    slack_api.wait_for("views.publish", 2)
    assert len(slack_api.calls_to("files.getUploadURLExternal")) == 1


def test_non_admin_sees_no_retrain_button(bot, slack_api):
    _open_home(bot, "UBOB")

    user, view = _home(slack_api)
    assert user == "UBOB"
    assert "fake-1" in view
    assert "home_retrain" not in view


def test_home_retrain_button_checks_admin_again(bot, slack_api, fake_retrain):
    payload = {
        "type": "block_actions",
        "user": {"id": "UBOB", "team_id": "T0001"},
        "team": {"id": "T0001"},
        "container": {"type": "view", "view_id": "V0001"},
        "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": "home_retrain", "action_ts": "1.0"}],
    }

    assert bot.interaction(payload).status == 200
    time.sleep(0.3)
    assert fake_retrain.calls == []

    payload["user"] = {"id": ADMIN, "team_id": "T0001"}
    bot.interaction(payload)

    posted = slack_api.wait_for("chat.postMessage")[0]
    assert posted.params["channel"] == ADMIN  # the app's DM with the admin
    fake_retrain.release.set()
    update = slack_api.wait_for("chat.update", count=3)[-1]
    assert update.params["channel"] == posted.response["channel"]
