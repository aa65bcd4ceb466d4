"""Settings come from the environment in one place and fail fast naming the variable."""

from __future__ import annotations

import logging

import pytest

from bot import startup
from training import logs
from training.config import Settings
from training.errors import ConfigError

pytestmark = pytest.mark.unit


def test_web_concurrency_is_read_with_the_other_settings() -> None:
    assert Settings.from_env({}).slack.web_concurrency == 1
    assert Settings.from_env({"WEB_CONCURRENCY": "3"}).slack.web_concurrency == 3


@pytest.mark.parametrize("value", ["many", "0", "-2"])
def test_a_malformed_web_concurrency_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY"):
        Settings.from_env({"WEB_CONCURRENCY": value})


def test_serve_http_starts_as_many_workers_as_the_setting_says(monkeypatch, tmp_path) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(startup.os, "execv", lambda path, argv: started.append(argv))
    settings = Settings.from_env(
        {
            "SPORTBOT_HOME": str(tmp_path),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
            "WEB_CONCURRENCY": "3",
        }
    )
    startup.exec_gunicorn(settings, 4000)
    argv = started[0]
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--bind") + 1] == ":4000"


def test_every_process_logs_in_one_format(monkeypatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    logs.configure()
    assert [handler.formatter._fmt for handler in root.handlers] == [logs.FORMAT]
    assert root.level == logging.INFO
