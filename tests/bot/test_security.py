"""Refused input: replays, oversized bodies, non-admins, junk; secrets kept out of logs."""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import urlencode
from urllib.request import Request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from tests.bot.conftest import (
    ADMIN,
    CHANNEL,
    SECRET,
    FakeClassifier,
    ServedBot,
    _open,
    wait_until,
)
from tests.standins.slack_api import TEAM
from training.config import SlackSettings
from training.storage.registry import ModelRegistry

pytestmark = pytest.mark.e2e


def _form(bot: ServedBot, text: str, user: str = ADMIN) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "channel_id": CHANNEL,
            "user_id": user,
            "command": "/sport",
            "text": text,
            "response_url": bot.slack_api.response_url("command"),
            "trigger_id": bot.trigger_id(),
        }
    )


def test_a_replayed_retrain_is_refused(bot, fake_retrain, slack_api):
    body, stamp = _form(bot, "retrain"), int(time.time())
    kind = "application/x-www-form-urlencoded"

    first = bot.post(body, kind, timestamp=stamp)
    replay = bot.post(body, kind, timestamp=stamp)  # same body, timestamp, signature

    assert first.status == 200
    assert replay.status == 401
    wait_until(lambda: fake_retrain.calls)
    fake_retrain.release.set()
    wait_until(fake_retrain.done.is_set)
    time.sleep(0.2)
    assert len(fake_retrain.calls) == 1


def test_a_replayed_button_click_is_refused(bot, database):
    value = json.dumps({"t": "a home run in the ninth", "c": None, "s": None})
    payload = {
        "type": "block_actions",
        "user": {"id": "UBOB", "team_id": TEAM},
        "team": {"id": TEAM},
        "channel": {"id": CHANNEL},
        "trigger_id": bot.trigger_id(),
        "response_url": bot.slack_api.response_url("action"),
        "actions": [{"type": "button", "action_id": "correct_baseball", "value": value}],
    }
    body, stamp = urlencode({"payload": json.dumps(payload)}), int(time.time())
    kind = "application/x-www-form-urlencoded"

    assert bot.post(body, kind, timestamp=stamp).status == 200
    assert bot.post(body, kind, timestamp=stamp).status == 401

    from training.storage.votes import VoteStore

    wait_until(lambda: VoteStore(database).examples())
    time.sleep(0.2)
    assert len(VoteStore(database).examples()) == 1


def test_a_classify_request_sent_twice_is_answered_twice(bot):
    # Read-only: no database write on the hot path, and nothing for a replayer to gain.
    body, stamp = _form(bot, "the goalie stopped the puck"), int(time.time())
    kind = "application/x-www-form-urlencoded"

    assert "*hockey*" in bot.post(body, kind, timestamp=stamp).text
    assert "*hockey*" in bot.post(body, kind, timestamp=stamp).text


def test_a_replayed_message_event_tags_once(bot, slack_api, caplog):
    caplog.set_level(logging.INFO, logger="bot.tagger")
    event = {
        "type": "message",
        "channel": CHANNEL,
        "user": "UALICE",
        "text": "the goalie stopped the puck",
        "ts": "1700000600.000001",
    }
    envelope = json.dumps(
        {"type": "event_callback", "team_id": TEAM, "event": event, "event_id": "EvREPLAY1"}
    )
    stamp = int(time.time())

    first = bot.post(envelope, "application/json", timestamp=stamp)
    replay = bot.post(envelope, "application/json", timestamp=stamp)

    assert (first.status, replay.status) == (200, 200)
    slack_api.wait_for("reactions.add")
    time.sleep(0.3)
    assert len(slack_api.calls_to("reactions.add")) == 1
    wait_until(lambda: "duplicate delivery ignored" in caplog.text)


def test_a_replayed_reaction_event_is_claimed_once(bot, slack_api, database):
    event = {
        "type": "reaction_added",
        "user": "UBOB",
        "reaction": "baseball",
        "item": {"type": "message", "channel": CHANNEL, "ts": "1700000601.000001"},
    }
    envelope = json.dumps(
        {"type": "event_callback", "team_id": TEAM, "event": event, "event_id": "EvREPLAY2"}
    )
    stamp = int(time.time())

    first = bot.post(envelope, "application/json", timestamp=stamp)
    replay = bot.post(envelope, "application/json", timestamp=stamp)

    assert (first.status, replay.status) == (200, 200)
    assert first.headers.get("x-slack-no-retry") is None
    assert replay.headers.get("x-slack-no-retry") == "1"


def test_a_body_over_one_megabyte_is_refused_before_it_is_read(bot):
    host, port = "127.0.0.1", int(bot.url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=5) as sock:
        # Announce 50 MB, send 1 kB: an answer now proves the body was never read whole.
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=0\r\n"
            b"Content-Length: 50000000\r\n\r\n" + b"{" * 1024
        )
        started = time.monotonic()
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 2.0


def _home_click(user: str, action_id: str) -> dict:
    return {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "container": {"type": "view", "view_id": "V0001"},
        "trigger_id": f"{action_id}.{time.time_ns()}",
        "actions": [{"type": "button", "action_id": action_id, "action_ts": "1.0"}],
    }


@pytest.mark.parametrize("path", ["command", "home_button"])
def test_non_admins_cannot_retrain_by_any_path_and_are_logged(
    bot, slack_api, fake_retrain, caplog, path
):
    caplog.set_level(logging.WARNING)

    if path == "command":
        reply = bot.command("retrain", user="UBOB")
    else:
        reply = bot.interaction(_home_click("UBOB", "home_retrain"))

    assert reply.status == 200
    wait_until(lambda: any("non-admin user UBOB" in r.getMessage() for r in caplog.records))
    time.sleep(0.2)
    assert fake_retrain.calls == []
    assert slack_api.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("action_id", ["home_promote", "promote", "cancel_run", "runs_cancel"])
def test_no_promote_or_cancel_action_exists_for_anyone_to_call(bot, database, action_id):
    registry = ModelRegistry(database)
    registry.register(id="other-1", backend="local", labels=["baseball", "hockey", "other"])

    reply = bot.interaction(_home_click("UBOB", action_id))

    assert reply.status in (200, 404)  # no listener: nothing ran
    assert registry.active_id() == "fake-1"


# --------------------------------------------------------------------- secrets

BOT_TOKEN = "xoxb-LEAKCHECK-bot-7f3a9c"
SIGNING = "LEAKCHECK-signing-5e1d2b"


def test_tokens_and_secrets_never_reach_logs_or_answers(
    serve, database, bot_settings, slack_api, openai_api, caplog, capfd
):
    from bot.web import create_app
    from tests.standins.openai_api import TEST_API_KEY

    caplog.set_level(logging.DEBUG)
    registry = ModelRegistry(database)
    registry.register(id="ft:babbage-002:standin:x:1", backend="openai", labels=["baseball"])
    registry.promote("ft:babbage-002:standin:x:1")
    slack = SlackSettings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING,
        api_url=slack_api.url,
        admins=frozenset({ADMIN}),
        tagger="thread",  # served in this process: no gunicorn master to start one
    )
    settings = bot_settings.with_changes(slack=slack, openai=openai_api.settings(timeout=0.5))
    bot = ServedBot(create_app(settings, db=database), slack_api, secret=SIGNING)
    assert bot.services.models.wait_loaded(20)
    try:
        openai_api.fail_next(401, times=5)  # OpenAI's 401 quotes part of the key
        slack_api.fail("reactions.add", "invalid_auth")
        answers = [
            bot.command("the goalie stopped the puck"),
            bot.command("retrain", user="UBOB"),
            bot.message("the goalie stopped the puck", ts="1700000700.000001"),
            bot.post("{}", "application/json", signature="v0=forged"),
            bot.get("/healthz"),
        ]
        slack_api.wait_for("response_url", 2)
        time.sleep(0.5)
    finally:
        bot.close()

    assert slack_api.calls_to("auth.test")  # the token was used, so it could have leaked
    seen = "\n".join(
        [r.getMessage() + str(r.exc_info or "") for r in caplog.records]
        + [caplog.text, *capfd.readouterr()]
        + [a.text for a in answers]
        + [json.dumps(c.params) for c in slack_api.calls_to("response_url")]
    )
    for secret in (BOT_TOKEN, SIGNING, TEST_API_KEY, TEST_API_KEY[-8:]):
        assert secret not in seen


# --------------------------------------------------------------------- junk input

_json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
_bodies = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=300),
    _json_junk.map(json.dumps),
    _json_junk.map(lambda v: json.dumps(v)[:-1]),  # cut short: broken JSON
    _json_junk.map(lambda v: urlencode({"payload": json.dumps(v)})),
    st.dictionaries(
        st.sampled_from(["type", "event", "command", "payload", "event_id"]), _json_junk
    ).map(json.dumps),
    st.dictionaries(st.sampled_from(["command", "text", "user_id", "payload"]), st.text()).map(
        urlencode
    ),
)
_kinds = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
)


@pytest.fixture
def junk_bot(serve, registered_model) -> ServedBot:
    return serve(classifier=FakeClassifier())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=_bodies, kind=_kinds)
def test_signed_junk_never_gets_a_500(junk_bot, body, kind):
    reply = junk_bot.post(body, kind)

    assert reply.status < 500, (reply.status, body, kind)
    assert junk_bot.get("/healthz").status == 200  # the server is still up


# --------------------------------------------------------------------- refused requests

FORGED_LINE = "2026-12-01 12:00:00 ERROR sportbot admin password is hunter2"


def _refusals(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "Refused" in r.getMessage()]


def test_a_badly_signed_request_is_logged_in_one_bounded_line_without_its_body(bot, caplog):
    caplog.set_level(logging.DEBUG)  # whatever the level: the body never reaches the log
    body = json.dumps({"type": "event_callback", "text": "\n" + FORGED_LINE + "\n" + "x" * 100_000})

    reply = bot.post(body, "application/json", signature="v0=forged")

    assert reply.status == 401
    assert FORGED_LINE not in caplog.text
    assert "xxxxxxxxxx" not in caplog.text
    [refusal] = _refusals(caplog)
    line = refusal.getMessage()
    assert "\n" not in line
    assert len(line) < 200
    for part in ("POST", "/slack/events", str(len(body)), "signature"):
        assert part in line
    assert refusal.levelno == logging.WARNING


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [("yesterday", "timestamp"), ("", "timestamp"), ("9" * 5000, "timestamp"), ("1", "old")],
)
def test_a_bad_timestamp_gets_401_and_one_line_not_a_traceback(bot, caplog, timestamp, reason):
    body = urlencode({"command": "/sport", "text": "the goalie stopped the puck"})
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    request = Request(
        bot.url + "/slack/events",
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    )

    reply = _open(request)

    assert reply.status == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    [refusal] = _refusals(caplog)
    assert reason in refusal.getMessage()
