"""The bot served for real over loopback HTTP, signed requests, a fake classifier."""

from __future__ import annotations

import json
import re
import socketserver
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.standins.block_kit import blocks_errors
from tests.standins.slack_api import TEAM, SlackStandIn
from training.classifiers.base import LABELS, TextClassifier
from training.config import Settings, SlackSettings
from training.storage.database import Database
from training.storage.registry import ModelRegistry

if TYPE_CHECKING:
    from bot.app import Services

SECRET = "test-signing-secret"
ADMIN = "UADMIN"
CHANNEL = "C0SPORT"

RULES = {
    "baseball": re.compile(r"pitcher|inning|home run|baseball|batter", re.I),
    "hockey": re.compile(r"puck|goalie|hockey|rink|power play", re.I),
}


class FakeClassifier(TextClassifier):
    """Deterministic keyword rules: 0.9 for a matched sport, else 0.85 "other"."""

    def __init__(self, model_id: str = "fake-1", backend: str = "local", delay: float = 0.0):
        self.model_id = model_id
        self.backend = backend
        self.delay = delay
        self.classes_ = np.array(LABELS)
        self.calls: list[str] = []

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.delay)
        self.calls.extend(texts)
        rows = []
        for text in texts:
            label = next((name for name, rule in RULES.items() if rule.search(text)), "other")
            best = 0.9 if label != "other" else 0.85
            rest = (1 - best) / 2
            rows.append([best if name == label else rest for name in LABELS])
        return np.array(rows)


@dataclass
class FakeRetrain:
    """Stands in for train_local; blocks until ``release`` so tests see it run after the ack."""

    release: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    calls: list[dict[str, Any]] = field(default_factory=list)
    thread_names: list[str] = field(default_factory=list)

    def __call__(self, settings: Settings, db: Database, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        self.thread_names.append(threading.current_thread().name)
        # As train_local: progress lines go into the message the Slack app posted.
        kwargs["report"].add("Collecting examples…")
        self.release.wait(10)
        kwargs["report"].add("Training…")
        self.done.set()
        return SimpleNamespace(id="local-new", accuracy=0.95, status="active")


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class ServedBot:
    """A bot app behind a real threaded HTTP server on loopback, and a signed-request client."""

    def __init__(self, wsgi_app: Any, slack_api: SlackStandIn, secret: str = SECRET) -> None:
        self.wsgi_app = wsgi_app
        self.slack_api = slack_api
        self.secret = secret
        self.server = make_server(
            "127.0.0.1", 0, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self._ids = iter(range(1, 1_000_000))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def services(self) -> Services:
        return self.wsgi_app.app.sportbot

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        # The model refresher and the tagger would go on polling a database the fixture drops.
        self.services.models.stop()
        self.services.tagger.stop()

    # -- requests as Slack sends them

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signed = signature or SignatureVerifier(self.secret).generate_signature(
            timestamp=stamp, body=body
        )
        request = Request(
            self.url + "/slack/events",
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signed,
                **(headers or {}),
            },
        )
        reply = _open(request)
        check_acknowledgement(reply)
        return reply

    def get(self, path: str) -> Reply:
        return _open(Request(self.url + path))

    def command(self, text: str, *, user: str = ADMIN, channel: str = CHANNEL, **kw: Any) -> Reply:
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "sports",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/sport",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.slack_api.response_url("command"),
            "trigger_id": self.trigger_id(),
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Reply:
        envelope = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(envelope), "application/json", headers=headers)

    def trigger_id(self) -> str:
        # Unique like Slack's: two identical bodies in one second would be a replay.
        return f"{next(self._ids)}.{time.time_ns()}"

    def envelope(self, body: dict[str, Any]) -> Reply:
        return self.post(json.dumps(body), "application/json")

    def interaction(self, payload: dict[str, Any]) -> Reply:
        form = urlencode({"payload": json.dumps(payload)})
        return self.post(form, "application/x-www-form-urlencoded")

    def message(self, text: str, *, ts: str, user: str = "UALICE", **extra: Any) -> Reply:
        event = {
            "type": "message",
            "channel": CHANNEL,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "channel",
            **extra,
        }
        return self.event(event)

    def click(self, action_id: str, value: str, *, user: str = ADMIN) -> Reply:
        return self.interaction(
            {
                "type": "block_actions",
                "team": {"id": TEAM, "domain": "test"},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0001",
                "container": {"type": "message", "is_ephemeral": True},
                "channel": {"id": CHANNEL, "name": "sports"},
                "trigger_id": self.trigger_id(),
                "response_url": self.slack_api.response_url("action"),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "correction",
                        "value": value,
                        "action_ts": "1700000000.1",
                    }
                ],
            }
        )


def check_acknowledgement(reply: Reply) -> None:
    """An acknowledgement with blocks (``ack(blocks=...)``) is a message Slack shows:
    it must pass Block Kit's rules as a chat.postMessage would."""
    if reply.status != 200 or "json" not in reply.headers.get("content-type", ""):
        return
    try:
        body = reply.json()
    except ValueError:
        return
    if isinstance(body, dict) and body.get("blocks") is not None:
        errors = blocks_errors(body["blocks"])
        assert not errors, f"Slack would refuse this acknowledgement: {errors}"


def _open(request: Request) -> Reply:
    try:
        with urlopen(request, timeout=10) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """``check()``'s first truthy value; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def bot_settings(settings: Settings, slack_api: SlackStandIn) -> Settings:
    slack_api.set_user(ADMIN)
    slack_api.set_user("UBOB")
    slack_api.set_user("UALICE")
    return settings.with_changes(
        slack=SlackSettings(
            bot_token="xoxb-test",
            signing_secret=SECRET,
            api_url=slack_api.url,
            admins=frozenset({ADMIN}),
            tagger="thread",  # no gunicorn master here to start a tagger process
        )
    )


@pytest.fixture
def registered_model(database: Database) -> str:
    registry = ModelRegistry(database)
    registry.register(id="fake-1", backend="local", labels=list(LABELS), metrics={"accuracy": 0.93})
    registry.promote("fake-1")
    return "fake-1"


@pytest.fixture
def fake_retrain() -> Iterator[FakeRetrain]:
    fake = FakeRetrain()
    yield fake
    fake.release.set()


@pytest.fixture
def serve(bot_settings: Settings, database: Database, slack_api: SlackStandIn, fake_retrain):
    """``serve(**build_app_kwargs)`` starts a bot; every one started is closed afterwards."""
    from bot.web import create_app

    started: list[ServedBot] = []

    def start(**kwargs: Any) -> ServedBot:
        kwargs.setdefault("db", database)
        kwargs.setdefault("retrain", fake_retrain)
        settings = kwargs.pop("settings", bot_settings)
        bot = ServedBot(create_app(settings, **kwargs), slack_api)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.close()


@pytest.fixture
def bot(serve, registered_model: str) -> ServedBot:
    """The usual bot: fake keyword classifier, a registered model, the fake trainer."""
    return serve(classifier=FakeClassifier())
