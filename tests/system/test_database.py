"""The database unreachable at start (one clear line) and for a moment while running."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy.engine import make_url

from bot.startup import gunicorn_argv, gunicorn_executable
from tests.bot.conftest import SECRET, ServedBot
from tests.standins.slack_api import SlackStandIn
from tests.system.conftest import ADMIN, REPO, base_env, free_port, poll, register_tiny_model
from tests.system.tcp_proxy import TcpProxy
from training.config import Settings, SlackSettings

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("command", ["gunicorn", "sportbot"])
def test_unreachable_database_at_start_stops_with_one_line(command, tmp_path):
    closed = free_port()  # nothing listens here
    if command == "sportbot":
        argv = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--http"]
    else:  # the Procfile's web line
        argv = [*gunicorn_executable(), *gunicorn_argv(free_port())]
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SPORTBOT_HOME=str(tmp_path),
        DATABASE_URL=f"postgresql://sportbot:hunter2-db-pass@127.0.0.1:{closed}/sportbot",
    )

    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=REPO)

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "Cannot reach the database" in line]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2-db-pass" not in result.stderr + result.stdout  # the password is hidden


@pytest.fixture
def proxied(pg_url, tmp_path):
    """A bot in this process whose database connections go through a TcpProxy."""
    url = make_url(pg_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    register_tiny_model(pg_url, tmp_path / "models")
    slack = SlackStandIn()
    settings = Settings(
        home=tmp_path / "home",
        database_url=proxied_url,
        slack=SlackSettings(
            bot_token="xoxb-test",
            signing_secret=SECRET,
            api_url=slack.url,
            admins=frozenset({ADMIN}),
            tagger="thread",  # served in this process: no gunicorn master to start one
        ),
    )
    from bot.web import create_app

    bot = ServedBot(create_app(settings), slack)
    poll(lambda: "hockey" in bot.command("the goalie stopped the puck").text, timeout=20)
    yield bot, proxy, slack
    bot.close()
    proxy.close()
    slack.close()


@pytest.mark.needs_postgres
def test_a_database_outage_fails_cleanly_and_recovers(proxied, caplog):
    bot, proxy, slack = proxied
    message = {
        "type": "message",
        "channel": "C0SPORT",
        "user": "UALICE",
        "text": "the goalie stopped the puck on the power play",
        "ts": "1700000300.000001",
        "event_ts": "1700000300.000001",
        "channel_type": "channel",
    }

    proxy.cut()
    started = time.monotonic()
    health = bot.get("/healthz")
    classify = bot.command("the goalie stopped the puck")
    status = bot.command("status")
    event = bot.event(message, event_id="EvOUTAGE01")
    during = time.monotonic() - started

    assert health.status == 503
    assert "*hockey*" in classify.text  # the loaded model needs no database
    assert status.status == 200
    assert "cannot reach its database" in status.text
    assert event.status == 503  # not claimed: Slack delivers it again later
    assert "x-slack-no-retry" not in event.headers
    assert during < 3.0  # every answer inside Slack's 3 s

    proxy.restore()
    poll(lambda: bot.get("/healthz").status == 200, timeout=10)
    assert "*hockey*" in bot.command("the goalie stopped the puck").text
    redelivered = bot.event(message, event_id="EvOUTAGE01", retry_num=1)
    assert redelivered.status == 200
    slack.wait_for("reactions.add")
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, [r.getMessage() for r in errors]
