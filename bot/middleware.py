"""Global middleware: the signature check, Slack's envelope types no listener sees,
message events, redeliveries."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

from bot import fastpath
from bot.model_source import ModelSource
from bot.tagging import QUEUED, Tagger
from training.feedback import FeedbackStore
from training.states import Backend

log = logging.getLogger(__name__)

NO_RETRY = {"x-slack-no-retry": "1"}
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
        timestamp = _first(req.headers.get("x-slack-request-timestamp")) or ""
        signature = _first(req.headers.get("x-slack-signature")) or ""
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


class EnvelopeMiddleware(Middleware):
    """Answer app_rate_limited and duplicate deliveries with a 200 and stop there;
    store message events for the tagger and answer them; refuse a replayed
    command or interaction with a 401.

    Replays: Bolt accepts a signed request for 5 minutes, so a captured /sport
    retrain could be sent again. Events are already single-use through their
    event id; every other signed request that changes state (``changes_state``)
    claims its signature in the same ``slack_events`` table (prefix ``sig:``), so
    the same signature + timestamp + body is accepted once, by whichever process
    sees it first.

    Runs after Bolt's signature check, so a forged request never claims an event id.
    Claiming in the database (not an in-memory set) makes a retry that reaches
    another web process a duplicate too. A new message is the exception: the
    tagger stores it here as a queued tag (``Tagger.accept``), and that row, one
    per channel + ts, is the claim; a separate claim would be a second write on
    the ack path.

    A ``Middleware`` subclass rather than a function: Bolt builds no keyword
    arguments for it, which matters on the /sport hot path (~0.1 ms a request).
    """

    def __init__(
        self,
        feedback: FeedbackStore,
        models: ModelSource | None = None,
        tagger: Tagger | None = None,
    ) -> None:
        self.feedback = feedback
        self.models = models
        self.tagger = tagger

    def is_fast(self, body: dict) -> bool:
        """A /sport that a loaded local model answers in about a millisecond."""
        if body.get("command") != "/sport" or self.models is None:
            return False
        from bot.listeners.commands.sport import parse

        if parse(str(body.get("text") or ""))[0] not in fastpath.FAST_SUBCOMMANDS:
            return False
        try:
            return self.models.current()[0] == Backend.local
        except Exception:  # no model yet or still loading: the pool path explains
            return False

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        kind = body.get("type")
        if kind == "app_rate_limited":
            log.warning(
                "Slack rate-limited event deliveries for team %s (minute %s)",
                body.get("team_id"),
                body.get("minute_rate_limited"),
            )
            return BoltResponse(status=200, body="")
        event_id = body.get("event_id")
        if kind == "event_callback":
            event = body.get("event") or {}
            if event.get("type") == "message" and self.tagger is not None:
                # All a message event needs before its ack: stored as a queued tag (its
                # own claim), a duplicate, or not to be tagged; then this process's
                # tagger, if it has one, looks at once. Answered here: Bolt's listener
                # machinery (matching every listener, building keyword arguments, its
                # runner) was a sixth of the ack's time, for a listener that only woke
                # the tagger.
                if self.tagger.accept(event) == QUEUED:
                    self.tagger.wake()
                return BoltResponse(status=200, body="")
            if event_id and not self.feedback.claim_event(event_id):
                log.info("Event %s already handled: duplicate delivery ignored", event_id)
                return BoltResponse(status=200, body="", headers=dict(NO_RETRY))
            return next()
        signature = _first(req.headers.get("x-slack-signature"))
        if not signature or not changes_state(body):
            if self.is_fast(body):
                fastpath.run_next_listener_inline()
            return next()
        if not self.feedback.claim_event(REPLAY_PREFIX + signature):
            log.warning("Refused a replayed request (a signature already used)")
            return BoltResponse(status=401, body="")
        return next()


REPLAY_PREFIX = "sig:"


def changes_state(body: dict) -> bool:
    """Whether replaying this request could change anything: `/sport retrain`, buttons,
    shortcuts. Classifying, help and status only answer the sender (a replayer learns
    nothing new) and stay free of database writes on the hot path."""
    if "command" in body:
        from bot.listeners.commands.sport import parse

        return parse(str(body.get("text") or ""))[0] == "retrain"
    return True


def _first(values: object) -> str | None:
    # BoltRequest headers map a name to a list of values.
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values if isinstance(values, str) else None
