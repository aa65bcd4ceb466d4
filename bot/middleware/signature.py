"""Refuse what Slack did not sign, in one bounded log line."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("bot.middleware")

# How far a request's timestamp may be from our clock (Slack's own rule, as Bolt's).
MAX_CLOCK_SKEW_SECONDS = 5 * 60


class SignatureCheck(Middleware):
    """Bolt's ``RequestVerification``, refusing in one bounded log line.

    Bolt's logs the whole body of every badly signed request at INFO: anyone who
    can reach the URL could write a megabyte per request into the log, newlines
    and forged lines included. Here a refusal is logged as method, path, size and
    reason, never the body or a header's value. A timestamp that is not a number
    is refused too (in Bolt's it raised, which answered 200 with a traceback).
    Runs where Bolt's would (``before_authorize``), so a forged request never
    reaches authorization or any listener.
    """

    def __init__(self, signing_secret: str, path: str) -> None:
        # Socket Mode needs no signing secret (and slack_sdk refuses an empty one):
        # without it, every HTTP request is refused.
        self.verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None
        self.path = path

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if req.mode == "socket_mode":  # Slack's WebSocket is authenticated by the app token
            return next()
        reason = self.refusal(req)
        if reason is None:
            return next()
        size = len(req.raw_body.encode("utf-8", "surrogatepass"))
        # Bolt's adapters dispatch only the POSTs to the events path.
        log.warning("Refused POST %s (%d bytes): %s", self.path, size, reason)
        return BoltResponse(status=401, body={"error": "invalid request"})

    def refusal(self, req: BoltRequest) -> str | None:
        """Why the request is not Slack's, or None when it is signed."""
        if self.verifier is None:
            return "SLACK_SIGNING_SECRET is not set"
        timestamp = first_header(req, "x-slack-request-timestamp") or ""
        signature = first_header(req, "x-slack-signature") or ""
        if not signature:
            return "no signature"
        # ASCII digits only, and few: int() takes other scripts' digits, and raises
        # past 4,300 of them.
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "timestamp is not a number"
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return "timestamp too old or in the future"
        expected = self.verifier.generate_signature(timestamp=timestamp, body=req.raw_body)
        if expected is None or not hmac.compare_digest(expected, signature):
            return "signature does not match"
        return None


def first_header(req: BoltRequest, name: str) -> str | None:
    """A header's first value (BoltRequest headers map a name to a list of values)."""
    values = req.headers.get(name)
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values if isinstance(values, str) else None
