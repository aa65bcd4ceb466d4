"""A local stand-in of the Slack Web API, on a free loopback port.

It records every call (method, params, headers), answers the methods sportbot
uses with the fields the real API sends, and can be told to answer a method
with a Slack error or a 429 with Retry-After, or rate-limit a method
(``limit_rate``: N calls per window, 429 + Retry-After past that). ``response_url(name)`` gives a
URL on the stand-in that accepts ``respond()`` POSTs, recorded as method
``response_url``. Register it with ``pytest_plugins`` to get the
``slack_api`` fixture.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    response: dict[str, Any] | None = None  # what the stand-in answered
    at: float = field(default_factory=time.monotonic)
    peer: tuple[str, int] | None = None  # the client's address: which connection it came on


@dataclass
class _Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int | None  # None: every call


class SlackStandIn:
    """The stand-in server; ``url`` is the Web API base (ends with /api/)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self.reactions: set[tuple[str, str, str]] = set()  # (channel, ts, name) now on
        self._limits: dict[str, tuple[int, float, collections.deque[float]]] = {}
        # Close every connection after answering, without saying so, as a server
        # closes connections that stay idle; ``connections_closed`` counts them.
        self.close_connections = False
        self.connections_closed = 0
        self.server = _Server(self)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/respond/{name}"

    # -- telling it what to answer

    def fail(self, method: str, error: str, *, times: int | None = None) -> None:
        """Answer ``method`` with ``{"ok": false, "error": error}`` (``times`` calls, or all)."""
        self._add_fault(method, _Fault(200, {"ok": False, "error": error}, {}, times))

    def rate_limit(self, method: str, *, times: int, retry_after: int = 0) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and Retry-After."""
        body = {"ok": False, "error": "ratelimited"}
        self._add_fault(method, _Fault(429, body, {"Retry-After": str(retry_after)}, times))

    def limit_rate(self, method: str, *, calls: int, per_seconds: float) -> None:
        """Allow ``calls`` of ``method`` per sliding ``per_seconds``; past that answer 429
        with Retry-After (whole seconds, rounded up, as Slack sends it)."""
        with self._lock:
            self._limits[method] = (calls, per_seconds, collections.deque())

    def set_user(self, user_id: str, *, is_admin: bool = False, is_owner: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": user_id.lower(),
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_bot": False,
        }

    # -- reading what happened

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to ``method`` once there are ``count`` of them; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"{method}: {len(self.calls_to(method))} calls, wanted {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- internals

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def _fault(self, method: str) -> _Fault | None:
        with self._lock:
            faults = self._faults.get(method, [])
            if not faults:
                return None
            fault = faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.pop(0)
            return fault

    def _rate_limited(self, method: str) -> _Fault | None:
        with self._lock:
            limit = self._limits.get(method)
            if limit is None:
                return None
            calls, window, times = limit
            now = time.monotonic()
            while times and now - times[0] >= window:
                times.popleft()
            if len(times) < calls:
                times.append(now)
                return None
            wait = max(1, math.ceil(window - (now - times[0])))
        body = {"ok": False, "error": "ratelimited"}
        return _Fault(429, body, {"Retry-After": str(wait)}, None)

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        headers: dict[str, str],
        peer: tuple[str, int] | None = None,
    ) -> Call:
        call = Call(method, params, headers, peer=peer)
        with self._lock:
            self.calls.append(call)
        return call

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The successful answer of ``method`` (fields as the real API sends them)."""
        ts = f"1700000000.{next(self._ts):06d}"
        channel = params.get("channel", "C0001")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://sportbot-test.slack.com/",
                "team": "Test",
                "user": "sportbot",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            # Posting to a user id opens the app's DM with them.
            channel = "D" + channel[1:] if channel.startswith("U") else channel
            message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts}
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": params.get("ts"), "text": ""}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("reactions.add", "reactions.remove"):
            return self._react(method, params)
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", "type": "home"}}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": channel, "name": "sports", "is_member": True}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.base}/upload/F0001", "file_id": "F0001"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0001", "title": params.get("files", "")}]}
        return {"ok": False, "error": "unknown_method"}

    def _react(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        # Like Slack: one reaction of a name per app and message.
        key = (params.get("channel", ""), params.get("timestamp", ""), params.get("name", ""))
        with self._lock:
            if method == "reactions.add":
                if key in self.reactions:
                    return {"ok": False, "error": "already_reacted"}
                self.reactions.add(key)
            else:
                if key not in self.reactions:
                    return {"ok": False, "error": "no_reaction"}
                self.reactions.discard(key)
        return {"ok": True}


class _Server(ThreadingHTTPServer):
    def __init__(self, standin: SlackStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _handler(standin))
        self.standin = standin

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)  # the socket is closed now
        with self.standin._lock:
            self.standin.connections_closed += 1


def _handler(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm on, a
        # keep-alive client would wait ~40 ms (delayed ACK) for every body.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            if self.path.startswith("/upload/"):
                standin._record("upload", {"bytes": len(raw)}, headers)
                return self._send(200, b"OK - " + str(len(raw)).encode(), "text/plain")
            params = _params(raw, headers.get("content-type", ""))
            if self.path.startswith("/respond/"):
                params["_name"] = self.path.rsplit("/", 1)[-1]
                standin._record("response_url", params, headers)
                return self._send(200, b"ok", "text/plain")
            method = self.path.removeprefix("/api/").split("?")[0]
            call = standin._record(method, params, headers, self.client_address)
            fault = standin._rate_limited(method) or standin._fault(method)
            if fault is not None:
                call.response = fault.body
                return self._json(fault.status, fault.body, fault.headers)
            call.response = standin.answer(method, params)
            return self._json(200, call.response)

        def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body).encode(), "application/json", headers)

        def _send(
            self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            if standin.close_connections:
                self.close_connection = True

    return Handler


def _params(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        return json.loads(text or "{}")
    return {key: values[-1] for key, values in parse_qs(text).items()}


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    standin = SlackStandIn()
    yield standin
    standin.close()
