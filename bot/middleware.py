"""Global middleware: Slack's envelope types no listener sees, and redelivered events."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from training.feedback import FeedbackStore

log = logging.getLogger(__name__)

NO_RETRY = {"x-slack-no-retry": "1"}


class EnvelopeMiddleware(Middleware):
    """Answer app_rate_limited and duplicate deliveries with a 200 and stop there.

    Runs after Bolt's signature check, so a forged request never claims an event id.
    Claiming in the database (not an in-memory set) makes a retry that reaches
    another web process a duplicate too. A ``Middleware`` subclass rather than a
    function: Bolt builds no keyword arguments for it, which matters on the /sport
    hot path (~0.1 ms a request).
    """

    def __init__(self, feedback: FeedbackStore) -> None:
        self.feedback = feedback

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
        if kind == "event_callback" and event_id and not self.feedback.claim_event(event_id):
            log.info("Event %s already handled: duplicate delivery ignored", event_id)
            return BoltResponse(status=200, body="", headers=dict(NO_RETRY))
        return next()
