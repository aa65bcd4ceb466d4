"""The one Slack progress/report message: posted once, updated, never failing a run."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from tests.training.pipeline.test_report import CANDIDATE, _report
from training.pipeline import charts, report
from training.slack import message


@pytest.mark.e2e
def test_slack_report_posts_once_then_updates_and_uploads(slack_api, tmp_path) -> None:
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    slack = message.SlackReport(client, "C0REP")
    ts = slack.show("started", [])
    slack.show("running", [])
    slack.show("done", report.blocks(_report()))
    png = charts.confusion_chart(CANDIDATE, tmp_path / "cm.png")
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
    assert message.SlackReport(client, "C0NOPE").show("x", []) is None


@pytest.mark.unit
def test_no_bot_token_means_no_client(settings) -> None:
    assert message.report_client(settings) is None


def _report_settings(settings, api_url: str):
    from training.config import SlackSettings

    return settings.with_changes(
        slack=SlackSettings(bot_token="xoxb-test", api_url=api_url, report_channel="C0REP")
    )


@pytest.mark.e2e
def test_report_client_retries_and_paces_429_as_the_bot_does(settings, slack_api, caplog):
    from bot.slack_client import make_client

    client = message.report_client(_report_settings(settings, slack_api.url))
    bot_client = make_client(_report_settings(settings, slack_api.url).slack)
    assert [type(h) for h in client.retry_handlers] == [type(h) for h in bot_client.retry_handlers]
    slack = message.SlackReport(client, "C0REP")
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
    client = message.report_client(_report_settings(settings, f"http://127.0.0.1:{port}/api/"))
    caplog.set_level("WARNING")
    assert message.SlackReport(client, "C0REP").show("x", []) is None
    assert all(r.exc_info is None for r in caplog.records)  # no traceback anywhere
    [record] = [r for r in caplog.records if r.name == "training.slack.message"]
    assert "URLError" in record.getMessage()
    assert "\n" not in record.getMessage()
    assert record.exc_info is None


@pytest.mark.e2e
def test_a_dropped_upload_is_one_line(slack_api, tmp_path, caplog) -> None:
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    slack = message.SlackReport(client, "C0REP")
    slack.start()
    png = charts.confusion_chart(CANDIDATE, tmp_path / "cm.png")
    slack_api.drop("upload")
    caplog.set_level("WARNING")
    slack.upload([png])  # files_upload_v2's upload step: no retries in slack_sdk
    [record] = [r for r in caplog.records if r.name == "training.slack.message"]
    assert "RemoteDisconnected" in record.getMessage()
    assert record.exc_info is None
