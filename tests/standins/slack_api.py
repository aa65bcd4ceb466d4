"""A local stand-in of the Slack Web API, on a free loopback port.

It records every call (method, params, headers), answers the methods sportbot
uses with the fields the real API sends, and can be told to answer a method
with a Slack error or a 429 with Retry-After, or rate-limit a method
(``limit_rate``: N calls per window, 429 + Retry-After past that). ``response_url(name)`` gives a
URL on the stand-in that accepts ``respond()`` POSTs, recorded as method
``response_url``. Register it with ``pytest_plugins`` to get the
``slack_api`` fixture.

As strict as Slack where sportbot could get it wrong:

* Every message, ephemeral message, update, view and ``response_url`` post is
  checked against Block Kit's rules (``tests.standins.block_kit``): a refused
  one is answered ``invalid_blocks`` (Web API) or HTTP 400 (``response_url``),
  as Slack does, and kept in ``refused_blocks``. The fixture fails the test at
  teardown when any was refused, since ``respond()`` returns a refusal
  without raising and the app would carry on as if the person saw the answer.
* The token: none is ``not_authed``; ``token_error(token, error)`` makes one
  ``invalid_auth``, ``token_revoked`` or ``account_inactive``.
* ``reactions.add``/``reactions.remove`` check the name (``invalid_name``) and
  timestamp (``bad_timestamp``) as Slack does, and ``fail()`` answers any of
  their other documented errors; an error a method cannot answer is refused,
  so tests only ask for what Slack really sends.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.standins.block_kit import blocks_errors, view_errors

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"

# Errors any Web API method answers about the token (slack-api-specs).
AUTH_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
# Errors every method's documentation lists besides those: the request, the token's
# rights, Slack's own trouble.
GENERIC_ERRORS = {
    "access_denied",
    "accesslimited",
    "fatal_error",
    "internal_error",
    "invalid_arguments",
    "missing_scope",
    "no_permission",
    "not_allowed_token_type",
    "ratelimited",
    "request_timeout",
    "service_unavailable",
    "team_access_not_granted",
}
# What reactions.add / reactions.remove may answer besides those
# (docs.slack.dev reference pages; slackapi/slack-api-specs).
_REACTION_ERRORS = {
    "bad_timestamp",
    "channel_not_found",
    "invalid_name",
    "is_archived",
    "message_not_found",
    "no_item_specified",
    "not_in_channel",
    "not_reactable",
    "thread_locked",
}
REACTION_ERRORS = {
    "reactions.add": _REACTION_ERRORS | {"already_reacted", "too_many_emoji", "too_many_reactions"},
    "reactions.remove": _REACTION_ERRORS | {"no_reaction"},
}
# Methods whose ``blocks`` / ``view`` Slack checks against Block Kit.
MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
VIEW_METHODS = {"views.publish", "views.open", "views.update", "views.push"}
# An emoji name as Slack takes it: lower case, no colons, an optional skin tone.
EMOJI_NAME = re.compile(r"[a-z0-9_+'-]+(::skin-tone-[2-6])?")
MESSAGE_TS = re.compile(r"\d+\.\d+")


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
        # (method, errors) of every payload refused as invalid_blocks; a test that
        # sends invalid blocks on purpose sets ``expect_refused_blocks``.
        self.refused_blocks: list[tuple[str, list[str]]] = []
        self.expect_refused_blocks = False
        self._token_errors: dict[str, str] = {}
        self._drops: dict[str, int] = {}
        # What apps.connections.open answers (tests.standins.socket_mode's ``url``).
        self.socket_mode_url: str | None = None
        # files_upload_v2: ids issued by getUploadURLExternal, bytes uploaded, completed files.
        self._file_ids = itertools.count(1)
        self.issued_files: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.server = _Server(self)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for it, once per test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
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
        """Answer ``method`` with ``{"ok": false, "error": error}`` (``times`` calls, or all).

        For the reaction methods, only errors Slack documents for them."""
        documented = REACTION_ERRORS.get(method)
        if documented is not None and error not in documented | AUTH_ERRORS | GENERIC_ERRORS:
            raise ValueError(f"{method} never answers {error!r}")
        self._add_fault(method, _Fault(200, {"ok": False, "error": error}, {}, times))

    def token_error(self, token: str, error: str) -> None:
        """Answer every call made with ``token`` with ``error`` (invalid_auth, ...)."""
        if error not in AUTH_ERRORS - {"not_authed"}:
            raise ValueError(f"not a token error: {error!r}")
        with self._lock:
            self._token_errors[token] = error

    def server_error(self, method: str, *, times: int, status: int = 503) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP 5xx, as an outage does."""
        body = {"ok": False, "error": "service_unavailable"}
        self._add_fault(method, _Fault(status, body, {}, times))

    def rate_limit(self, method: str, *, times: int, retry_after: int = 0) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and Retry-After."""
        body = {"ok": False, "error": "ratelimited"}
        self._add_fault(method, _Fault(429, body, {"Retry-After": str(retry_after)}, times))

    def drop(self, method: str, *, times: int = 1) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without answering,
        as a proxy or a network giving out does (the client sees ``RemoteDisconnected``).
        ``"upload"`` is the upload step of files_upload_v2."""
        with self._lock:
            self._drops[method] = self._drops.get(method, 0) + times

    def _take_drop(self, method: str) -> bool:
        with self._lock:
            left = self._drops.get(method, 0)
            if left > 0:
                self._drops[method] = left - 1
            return left > 0

    def limit_rate(self, method: str, *, calls: int, per_seconds: float) -> None:
        """Allow ``calls`` of ``method`` per sliding ``per_seconds``; past that answer 429
        with Retry-After (whole seconds, rounded up, as Slack sends it)."""
        with self._lock:
            self._limits[method] = (calls, per_seconds, collections.deque())

    def set_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        team: str = TEAM,
        is_bot: bool = False,
        is_app_user: bool = False,
        deleted: bool = False,
    ) -> None:
        """A user users.info describes, with the fields Slack's user object always has.
        ``team``: another organisation's id for a Slack Connect user; ``is_bot`` for
        another app's bot user."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": team,
            "name": user_id.lower(),
            "deleted": deleted,
            "real_name": user_id.title(),
            "tz": "America/New_York",
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": is_app_user,
            "updated": 1700000000,
            "profile": {"real_name": user_id.title(), "display_name": user_id.lower()},
        }
        if team != TEAM:
            self.users[user_id]["is_stranger"] = True

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

    def refusal(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> str | None:
        """The error Slack answers this call with before doing anything, or None."""
        authorization = headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() or params.get("token", "")
        if not token:
            return "not_authed"
        # Socket Mode URLs are issued to app-level tokens only; other methods want a bot token.
        if (method == "apps.connections.open") != token.startswith("xapp-"):
            return "not_allowed_token_type"
        with self._lock:
            error = self._token_errors.get(token)
        if error:
            return error
        errors = self.blocks_errors(method, params)
        if errors:
            with self._lock:
                self.refused_blocks.append((method, errors))
            return "invalid_blocks"
        return None

    def blocks_errors(self, method: str, params: dict[str, Any]) -> list[str]:
        """Block Kit violations in a call's payload (empty when it has none)."""
        if method in VIEW_METHODS:
            view = params.get("view")
            errors = view_errors(view)
            if not errors:
                view = json.loads(view) if isinstance(view, str) else view
                errors = self.image_errors(view.get("blocks", []))
            return errors
        if method in MESSAGE_METHODS | {"response_url"} and params.get("blocks") is not None:
            return blocks_errors(params["blocks"]) or self.image_errors(params["blocks"])
        return []

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
        if method == "apps.connections.open":
            if self.socket_mode_url is None:
                return {"ok": False, "error": "internal_error"}
            return {"ok": True, "url": self.socket_mode_url}
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
        if method in ("views.publish", "views.open"):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return {"ok": True, "view": {"id": "V0001", **view}}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": channel, "name": "sports", "is_member": True}}
        if method == "files.getUploadURLExternal":
            return self._upload_url(params)
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        return {"ok": False, "error": "unknown_method"}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        length = str(params.get("length", ""))
        if not params.get("filename") or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):04d}"
        with self._lock:
            self.issued_files[file_id] = {"filename": params["filename"], "bytes": None}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def uploaded(self, file_id: str, data: bytes) -> None:
        with self._lock:
            if file_id in self.issued_files:
                self.issued_files[file_id]["bytes"] = data

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(params.get("files") or "")
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        with self._lock:
            for item in files:
                issued = self.issued_files.get(str(item.get("id")))
                if issued is None or issued["bytes"] is None:
                    return {"ok": False, "error": "file_not_found"}
                record = {**issued, "id": item["id"], "title": item.get("title") or ""}
                record["channel"] = params.get("channel_id") or params.get("channels")
                self.files[item["id"]] = record
                done.append({"id": item["id"], "title": record["title"]})
        return {"ok": True, "files": done}

    def image_errors(self, blocks: Any) -> list[str]:
        """Image blocks showing a Slack file: it must be one uploaded and completed,
        and an image Slack shows (png, jpeg or gif)."""
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return []
        errors = []
        for block in blocks if isinstance(blocks, list) else []:
            file_id = isinstance(block, dict) and (block.get("slack_file") or {}).get("id")
            if not file_id:
                continue
            with self._lock:
                data = (self.files.get(file_id) or {}).get("bytes")
            if data is None:
                errors.append(f"image block: no uploaded file {file_id}")
            elif not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8")):
                errors.append(f"image block: file {file_id} is not a png, jpeg or gif")
        return errors

    def _react(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("timestamp"):
            return {"ok": False, "error": "no_item_specified"}
        if not MESSAGE_TS.fullmatch(str(params["timestamp"])):
            return {"ok": False, "error": "bad_timestamp"}
        if not EMOJI_NAME.fullmatch(str(params.get("name", ""))):
            return {"ok": False, "error": "invalid_name"}
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
                if standin._take_drop("upload"):
                    self.close_connection = True
                    return None
                standin.uploaded(self.path.removeprefix("/upload/"), raw)
                return self._send(200, b"OK - " + str(len(raw)).encode(), "text/plain")
            params = _params(raw, headers.get("content-type", ""))
            if self.path.startswith("/respond/"):
                call = standin._record("response_url", params, headers)
                params["_name"] = self.path.rsplit("/", 1)[-1]
                errors = standin.blocks_errors("response_url", params)
                if errors:
                    with standin._lock:
                        standin.refused_blocks.append(("response_url", errors))
                    call.response = {"ok": False, "error": "invalid_blocks"}
                    return self._send(400, b"invalid_blocks", "text/plain")
                call.response = {"ok": True}
                return self._send(200, b"ok", "text/plain")
            method = self.path.removeprefix("/api/").split("?")[0]
            call = standin._record(method, params, headers, self.client_address)
            if standin._take_drop(method):
                self.close_connection = True
                return None
            fault = standin._rate_limited(method) or standin._fault(method)
            if fault is not None:
                call.response = fault.body
                return self._json(fault.status, fault.body, fault.headers)
            error = standin.refusal(method, params, headers)
            if error is not None:
                call.response = {"ok": False, "error": error}
                if error == "invalid_blocks":
                    call.response["errors"] = standin.refused_blocks[-1][1]
                return self._json(200, call.response)
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
    if not standin.expect_refused_blocks:
        assert not standin.refused_blocks, f"Slack would refuse: {standin.refused_blocks}"
