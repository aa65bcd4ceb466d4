"""Global middleware: Slack's envelope types no listener sees, and redelivered events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from training.feedback import FeedbackStore

log = logging.getLogger(__name__)

NO_RETRY = {"x-slack-no-retry": "1"}


def envelope_middleware(
    body: dict[str, Any], next: Callable[[], None], *, feedback: FeedbackStore
) -> BoltResponse | None:
    """Answer app_rate_limited and duplicate deliveries with a 200 and stop there.

    Runs after Bolt's signature check, so a forged request never claims an event id.
    Claiming in the database (not an in-memory set) makes a retry that reaches
    another web process a duplicate too.
    """
    kind = body.get("type")
    if kind == "app_rate_limited":
        log.warning(
            "Slack rate-limited event deliveries for team %s (minute %s)",
            body.get("team_id"),
            body.get("minute_rate_limited"),
        )
        return BoltResponse(status=200, body="")
    event_id = body.get("event_id")
    if kind == "event_callback" and event_id and not feedback.claim_event(event_id):
        log.info("Event %s already handled: duplicate delivery ignored", event_id)
        return BoltResponse(status=200, body="", headers=dict(NO_RETRY))
    next()
    return None
