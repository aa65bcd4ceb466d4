"""Starting the app: a token Slack refuses stops it with one line; an unreachable
Slack is asked again."""

from __future__ import annotations

import logging
import socket

import pytest
from typer.testing import CliRunner

from bot import gunicorn_conf
from bot.slack_client import check_token
from training.config import SlackSettings
from training.errors import ConfigError

pytestmark = pytest.mark.unit

TOKEN_ERRORS = ["invalid_auth", "token_revoked", "account_inactive"]


def _closed_port_url() -> str:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/"


@pytest.fixture
def slack_env(monkeypatch, slack_api, tmp_path):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("SPORTBOT_TAGGER", "thread")
    return slack_api


@pytest.mark.parametrize("error", TOKEN_ERRORS)
def test_gunicorn_stops_at_start_with_one_line_when_slack_refuses_the_token(
    slack_env, capsys, error
):
    slack_env.token_error("xoxb-test", error)

    with pytest.raises(SystemExit) as stopped:
        gunicorn_conf.on_starting(object())

    assert stopped.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "SLACK_BOT_TOKEN" in err
    assert error in err
    assert slack_env.calls_to("auth.test")


def test_gunicorn_starts_when_slack_accepts_the_token(slack_env):
    gunicorn_conf.on_starting(object())

    assert len(slack_env.calls_to("auth.test")) == 1


@pytest.mark.parametrize("error", TOKEN_ERRORS)
def test_socket_mode_stops_with_one_line_naming_the_token(slack_env, monkeypatch, error):
    from bot.cli import app

    slack_env.token_error("xoxb-test", error)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")

    result = CliRunner().invoke(app, ["serve", "--socket"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [lines[0]]
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert error in lines[0]


class _Clock:
    """Time that passes only when slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_an_unreachable_slack_is_asked_again_with_growing_waits_and_no_traceback(caplog):
    clock = _Clock()
    slack = SlackSettings(bot_token="xoxb-test", api_url=_closed_port_url())

    assert not check_token(slack, give_up_after=100, sleep=clock.sleep, clock=clock)

    assert clock.waits == [1, 2, 4, 8, 16, 30, 30]  # doubling, capped; 91 s < 100 s
    warnings = [r for r in caplog.records if r.name == "bot.slack_client"]
    assert len(warnings) == len(clock.waits) + 1  # one a try, and the last says it gave up
    assert all(r.levelno == logging.WARNING and "\n" not in r.getMessage() for r in warnings)
    assert "Connection refused" in warnings[0].getMessage()
    assert "not checked" in warnings[-1].getMessage()
    assert not [r for r in caplog.records if r.exc_info]


def test_slack_back_after_an_outage_passes_the_check(slack_api):
    slack_api.server_error("auth.test", times=2)
    waits: list[float] = []
    slack = SlackSettings(bot_token="xoxb-test", api_url=slack_api.url)

    assert check_token(slack, give_up_after=None, sleep=waits.append)

    assert waits == [1, 2]
    assert len(slack_api.calls_to("auth.test")) == 3


def test_a_refused_token_is_a_config_error_without_retries(slack_api):
    slack_api.token_error("xoxb-test", "token_revoked")
    slack = SlackSettings(bot_token="xoxb-test", api_url=slack_api.url)

    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        check_token(slack, give_up_after=None, sleep=pytest.fail)

    assert len(slack_api.calls_to("auth.test")) == 1
