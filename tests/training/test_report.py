"""The run report: numbers, Block Kit, PNG charts, and the one Slack message."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient

from training import report

CANDIDATE = {
    "accuracy": 0.95,
    "macro_f1": 0.94,
    "roc_auc": 0.99,
    "labels": ["baseball", "hockey"],
    "per_class": {
        "baseball": {"precision": 1.0, "recall": 0.9, "f1": 0.947, "support": 10},
        "hockey": {"precision": 0.9, "recall": 1.0, "f1": 0.947, "support": 10},
    },
    "confusion_matrix": [[9, 1], [0, 10]],
}
ACTIVE = {**CANDIDATE, "accuracy": 0.90, "model": "old"}


def _report(**changes):
    values = dict(
        run_id=5,
        backend="openai",
        base_model="babbage-002",
        status="succeeded",
        job_id="ftjob-abc",
        model_id="ft:babbage-002:x",
        trained_tokens=1234,
        duration_s=125,
        candidate=CANDIDATE,
        active=ACTIVE,
        promoted=True,
        reason="accuracy 0.95 vs 0.90",
    )
    return report.build(**(values | changes))


@pytest.mark.unit
def test_blocks_show_job_tokens_duration_metrics_side_by_side_and_verdict() -> None:
    text = json.dumps(report.blocks(_report()))
    for expected in ("ftjob-abc", "babbage-002", "1234", "2 min 5 s", "Promoted"):
        assert expected in text
    assert "accuracy              0.950   0.900" in text


@pytest.mark.unit
def test_failed_run_blocks_show_the_error_and_no_promotion() -> None:
    text = json.dumps(
        report.blocks(_report(status="failed", error="Out of quota", promoted=None, candidate=None))
    )
    assert "Out of quota" in text
    assert "Promoted" not in text
    assert ":x:" in text


@pytest.mark.unit
def test_charts_are_pngs(tmp_path) -> None:
    rows = [
        {
            "step": 1.0,
            "train_loss": 1.0,
            "train_accuracy": 0.5,
            "valid_loss": None,
            "valid_mean_token_accuracy": None,
        },
        {
            "step": 2.0,
            "train_loss": 0.5,
            "train_accuracy": 0.75,
            "valid_loss": 0.6,
            "valid_mean_token_accuracy": 0.85,
        },
    ]
    curve = report.training_curve(rows, tmp_path / "curve.png")
    matrix = report.confusion_chart(CANDIDATE, tmp_path / "cm.png")
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matrix.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report.training_curve([], tmp_path / "none.png") is None


@pytest.mark.e2e
def test_slack_report_posts_once_then_updates_and_uploads(slack_api, tmp_path) -> None:
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    slack = report.SlackReport(client, "C0REP")
    ts = slack.show("started", [])
    slack.show("running", [])
    slack.show("done", report.blocks(_report()))
    png = report.confusion_chart(CANDIDATE, tmp_path / "cm.png")
    slack.upload([png])
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert [c.params["ts"] for c in slack_api.calls_to("chat.update")] == [ts, ts]
    assert len(slack_api.calls_to("files.getUploadURLExternal")) == 1
    assert slack_api.calls_to("upload")[0].params["bytes"] == png.stat().st_size
    complete = slack_api.calls_to("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == "C0REP"


@pytest.mark.e2e
def test_slack_failures_never_stop_the_run(slack_api) -> None:
    slack_api.fail("chat.postMessage", "channel_not_found")
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    assert report.SlackReport(client, "C0NOPE").show("x", []) is None


@pytest.mark.unit
def test_no_bot_token_means_no_client(settings) -> None:
    assert report.slack_client(settings) is None


def _report_settings(settings, api_url: str):
    from training.config import SlackSettings

    return settings.with_changes(
        slack=SlackSettings(bot_token="xoxb-test", api_url=api_url, report_channel="C0REP")
    )


@pytest.mark.e2e
def test_report_client_retries_and_paces_429_as_the_bot_does(settings, slack_api, caplog):
    from bot.slack_client import make_client

    client = report.slack_client(_report_settings(settings, slack_api.url))
    bot_client = make_client(_report_settings(settings, slack_api.url).slack)
    assert [type(h) for h in client.retry_handlers] == [type(h) for h in bot_client.retry_handlers]
    slack = report.SlackReport(client, "C0REP")
    ts = slack.start()
    slack_api.rate_limit("chat.update", times=2, retry_after=0)
    caplog.set_level("WARNING")
    slack.add("running")
    assert [c.params["ts"] for c in slack_api.calls_to("chat.update")] == [ts, ts, ts]
    assert not caplog.records  # waited out, not given up


@pytest.mark.e2e
def test_slack_unreachable_is_one_line_not_an_exception(settings, caplog) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = report.slack_client(_report_settings(settings, f"http://127.0.0.1:{port}/api/"))
    caplog.set_level("WARNING")
    assert report.SlackReport(client, "C0REP").show("x", []) is None
    assert all(r.exc_info is None for r in caplog.records)  # no traceback anywhere
    [record] = [r for r in caplog.records if r.name == "training.report"]
    assert "URLError" in record.getMessage()
    assert "\n" not in record.getMessage()
    assert record.exc_info is None


@pytest.mark.e2e
def test_a_dropped_upload_is_one_line(slack_api, tmp_path, caplog) -> None:
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    slack = report.SlackReport(client, "C0REP")
    slack.start()
    png = report.confusion_chart(CANDIDATE, tmp_path / "cm.png")
    slack_api.drop("upload")
    caplog.set_level("WARNING")
    slack.upload([png])  # files_upload_v2's upload step: no retries in slack_sdk
    [record] = [r for r in caplog.records if r.name == "training.report"]
    assert "RemoteDisconnected" in record.getMessage()
    assert record.exc_info is None
