"""`sportbot serve --socket` against a WebSocket stand-in of Slack's Socket Mode server.

The real command in a process of its own: ``apps.connections.open`` (the Slack
stand-in) gives it the stand-in's URL; it gets ``hello``, then a slash command,
a message event and a button as Slack sends them over the socket. Each must be
acknowledged within Slack's 3 seconds, and each must do what it does over HTTP.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.conftest import ServedBot
from tests.standins.slack_api import SlackStandIn
from tests.standins.socket_mode import SocketModeStandIn
from tests.system.conftest import HOCKEY, base_env, register_tiny_model
from training.config import Settings, SlackSettings
from training.storage.database import connect
from training.storage.votes import VoteStore

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
HOCKEY_EMOJI = "ice_hockey_stick_and_puck"
TEAM, CHANNEL = "T0001", "C0SOCK"
ACK_DEADLINE = 3.0


@pytest.fixture
def socket_mode() -> Iterator[SocketModeStandIn]:
    standin = SocketModeStandIn()
    yield standin
    standin.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home whose SQLite database holds an active tiny model."""
    home = tmp_path / "home"
    db = connect(Settings(home=home))
    register_tiny_model(db, home / "models")
    db.engine.dispose()
    return home


@pytest.fixture
def serve_socket(home: Path, slack_api: SlackStandIn, socket_mode: SocketModeStandIn, tmp_path):
    slack_api.socket_mode_url = socket_mode.url
    slack_api.set_user("UALICE")
    started: list[subprocess.Popen] = []
    log = tmp_path / "socket.log"

    def start() -> subprocess.Popen:
        env = base_env(
            SLACK_BOT_TOKEN="xoxb-socket-test",
            SLACK_APP_TOKEN="xapp-socket-test",
            SLACK_API_URL=slack_api.url,
            SPORTBOT_HOME=str(home),
            SPORTBOT_TAG_DELAY_SECONDS="0",
        )
        argv = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--socket"]
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )
        started.append(process)
        return process

    start.log = log  # type: ignore[attr-defined]
    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)


def command_payload(slack_api: SlackStandIn, text: str) -> dict:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": CHANNEL,
        "channel_name": "sports",
        "user_id": "UALICE",
        "user_name": "ualice",
        "command": "/sport",
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": slack_api.response_url("socket-command"),
        "trigger_id": f"1.{time.time_ns()}",
    }


def event_payload(text: str, ts: str, event_id: str) -> dict:
    event = {
        "type": "message",
        "channel": CHANNEL,
        "user": "UALICE",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event": event,
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
    }


def button_payload(slack_api: SlackStandIn, value: str) -> dict:
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": "UALICE", "team_id": TEAM},
        "api_app_id": "A0001",
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": CHANNEL, "name": "sports"},
        "trigger_id": f"2.{time.time_ns()}",
        "response_url": slack_api.response_url("socket-action"),
        "actions": [
            {
                "type": "button",
                "action_id": "correct_baseball",
                "block_id": "correction",
                "value": value,
                "action_ts": "1700000000.1",
            }
        ],
    }


def wait_until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def reactions_on(slack_api: SlackStandIn, ts: str) -> list[str]:
    return [
        call.params["name"]
        for call in slack_api.calls_to("reactions.add")
        if call.params.get("timestamp") == ts and (call.response or {}).get("ok")
    ]


def no_traceback(log: Path) -> None:
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-3000:]


def test_socket_mode_answers_command_event_and_button_as_http_does(
    serve_socket, socket_mode, slack_api, home, tmp_path
) -> None:
    process = serve_socket()
    socket_mode.wait_connected()
    [opened] = slack_api.calls_to("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-socket-test"

    # /sport: the answer is the acknowledgement's payload, within 3 s
    command = socket_mode.send("slash_commands", command_payload(slack_api, HOCKEY[0]))
    assert socket_mode.ack_delay(command) < ACK_DEADLINE
    answer = socket_mode.wait_ack(command).payload
    assert "*hockey*" in answer["text"]
    assert answer["blocks"]

    # a channel message: acknowledged, then tagged with the hockey emoji
    ts = "1700000777.000100"
    event = socket_mode.send("events_api", event_payload(HOCKEY[1], ts, "EvSOCK0001"))
    assert socket_mode.ack_delay(event) < ACK_DEADLINE
    assert wait_until(lambda: reactions_on(slack_api, ts)) == [HOCKEY_EMOJI]

    # a correction button: acknowledged, thanked through response_url, example stored
    correction = json.loads(answer["blocks"][-1]["elements"][0]["value"])
    button = socket_mode.send("interactive", button_payload(slack_api, json.dumps(correction)))
    assert socket_mode.ack_delay(button) < ACK_DEADLINE
    [thanks] = slack_api.wait_for("response_url")
    assert "baseball" in thanks.params["text"].lower()
    assert socket_mode.unexpected == []
    assert process.poll() is None
    no_traceback(serve_socket.log)

    # The same three over HTTP, on the same database and model: the same results.
    settings = Settings(
        home=home,
        slack=SlackSettings(
            bot_token="xoxb-http-test",
            signing_secret="http-secret",
            api_url=slack_api.url,
            tagger="thread",
            tag_delay_seconds=0.0,
        ),
    )
    from bot.web import create_app

    router = create_app(settings)
    assert router.app.sportbot.models.wait_loaded(30)
    http = ServedBot(router, slack_api, secret="http-secret")
    try:
        reply = http.command(HOCKEY[0], user="UALICE", channel=CHANNEL)
        assert reply.json()["text"] == answer["text"]
        assert reply.json()["blocks"] == answer["blocks"]
        http_ts = "1700000777.000200"
        http.message(HOCKEY[1], ts=http_ts)
        assert wait_until(lambda: reactions_on(slack_api, http_ts)) == [HOCKEY_EMOJI]
        http.click("correct_baseball", json.dumps(correction), user="UALICE")
        over_http = slack_api.wait_for("response_url", count=2)[-1]
        assert over_http.params["text"] == thanks.params["text"]
    finally:
        http.close()
    store = VoteStore(connect(Settings(home=home)))
    # Both ways thanked; the same person's same label for the same text is stored once.
    assert [(e.label, e.user_id, e.state) for e in store.examples()] == [
        ("baseball", "UALICE", "accepted")
    ]


def test_socket_mode_survives_a_refused_connection_and_reconnects(
    serve_socket, socket_mode, slack_api
) -> None:
    socket_mode.refuse(1)  # the first handshake: 503
    process = serve_socket()
    socket_mode.wait_connected(timeout=30)
    assert socket_mode.handshakes_refused == 1
    first = socket_mode.send("events_api", event_payload(HOCKEY[2], "1700000888.000100", "EvS1"))
    assert socket_mode.ack_delay(first) < ACK_DEADLINE

    socket_mode.drop()  # Slack closes the connection (it rotates them): the app reconnects
    socket_mode.wait_connected(count=2, timeout=30)
    opened = len(slack_api.calls_to("apps.connections.open"))
    assert opened >= 3  # a fresh URL for each attempt
    after = socket_mode.send("events_api", event_payload(HOCKEY[0], "1700000888.000200", "EvS2"))
    assert socket_mode.ack_delay(after) < ACK_DEADLINE
    assert wait_until(lambda: reactions_on(slack_api, "1700000888.000200")) == [HOCKEY_EMOJI]
    assert process.poll() is None
    no_traceback(serve_socket.log)


def test_an_app_token_slack_refuses_stops_socket_mode_with_one_line(
    home: Path, slack_api: SlackStandIn
) -> None:
    """Issue item 3: a refused app-level token is one line naming the variable, exit 1."""
    env = base_env(
        SLACK_BOT_TOKEN="xoxb-socket-test",
        SLACK_APP_TOKEN="xoxb-not-an-app-token",
        SLACK_API_URL=slack_api.url,
        SPORTBOT_HOME=str(home),
    )
    argv = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--socket"]
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "SLACK_APP_TOKEN (not_allowed_token_type)" in done.stderr + done.stdout
