"""A local stand-in for Slack's Socket Mode WebSocket server, on loopback.

The Slack Web API stand-in answers ``apps.connections.open`` with ``url`` (set
``slack_api.socket_mode_url = socket.url``); an app connecting there gets
``hello`` as Slack sends it, then whatever envelopes the test sends. Every
message the app sends back is recorded: acknowledgements (``{"envelope_id",
"payload"?}``) with the time they arrived, so a test can check each envelope
was acknowledged within Slack's 3 seconds.

``refuse(n)`` answers the next ``n`` WebSocket handshakes with HTTP 503 (the
app must connect again); ``drop()`` closes the open connections as Slack does
when it rotates them (the app must reconnect and say hello again).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
from websockets.sync.server import ServerConnection, serve

APP_ID = "A0001"


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    at: float


@dataclass
class Sent:
    envelope_id: str
    at: float


@dataclass
class SocketModeStandIn:
    connections_made: int = 0
    handshakes_refused: int = 0
    acks: dict[str, Ack] = field(default_factory=dict)
    sent: dict[str, Sent] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[ServerConnection] = []
        self._refuse = 0
        self._ids = itertools.count(1)
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            ping_interval=None,  # the app pings; Slack's own pings are not what we test
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"

    # -- telling it what to do

    def refuse(self, times: int = 1) -> None:
        with self._lock:
            self._refuse += times

    def drop(self) -> None:
        """Close every open connection (the app is expected to reconnect)."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            connection.close()

    def send(self, kind: str, payload: dict[str, Any], **extra: Any) -> str:
        """Send an envelope of ``kind`` (events_api, slash_commands, interactive) on the
        newest connection; its envelope_id."""
        envelope_id = f"env-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            **extra,
        }
        if kind == "events_api":
            envelope.setdefault("retry_attempt", 0)
            envelope.setdefault("retry_reason", "")
        connection = self.wait_connected()
        with self._lock:
            self.sent[envelope_id] = Sent(envelope_id, time.monotonic())
        connection.send(json.dumps(envelope))
        return envelope_id

    # -- reading what happened

    def wait_connected(self, count: int = 1, timeout: float = 30.0) -> ServerConnection:
        """The newest open connection, once ``count`` connections were made in all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.connections_made >= count and self._open:
                    return self._open[-1]
            time.sleep(0.02)
        raise AssertionError(f"{self.connections_made} connection(s), wanted {count}")

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                ack = self.acks.get(envelope_id)
            if ack is not None:
                return ack
            time.sleep(0.02)
        raise AssertionError(f"envelope {envelope_id} not acknowledged in {timeout} s")

    def ack_delay(self, envelope_id: str) -> float:
        ack = self.wait_ack(envelope_id)
        return ack.at - self.sent[envelope_id].at

    def close(self) -> None:
        self.drop()
        self._server.shutdown()

    # -- internals

    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        with self._lock:
            if self._refuse <= 0:
                return None
            self._refuse -= 1
            self.handshakes_refused += 1
        return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable\n")

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections_made += 1
            self._open.append(connection)
            number = self.connections_made
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {
                "host": "applink-standin",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        }
        try:
            connection.send(json.dumps(hello))
            for message in connection:
                self._received(message, number)
        except Exception:  # a closed connection ends the handler, as for Slack
            pass
        finally:
            with self._lock:
                if connection in self._open:
                    self._open.remove(connection)

    def _received(self, message: str | bytes, number: int) -> None:
        try:
            body = json.loads(message)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("envelope_id"), str):
            with self._lock:
                self.unexpected.append(str(message)[:200])
            return
        with self._lock:
            self.acks.setdefault(
                body["envelope_id"], Ack(body["envelope_id"], body.get("payload"), time.monotonic())
            )


@pytest.fixture
def socket_mode() -> Iterator[SocketModeStandIn]:
    standin = SocketModeStandIn()
    yield standin
    standin.close()
