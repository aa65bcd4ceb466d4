"""Replayed requests: a captured ``/sport retrain`` or button click is accepted once.

Bolt accepts a signed request for five minutes. Events are single-use through their
event id; every other signed request that changes state claims its signature in
the same ``slack_events`` table (prefix ``sig:``), so the same signature, timestamp
and body is accepted once, by whichever process sees it first. Runs after the
signature check, so a forged request never claims anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.middleware.signature import first_header
from bot.sport_text import parse
from training.storage.deliveries import DeliveryStore

log = logging.getLogger("bot.middleware")

REPLAY_PREFIX = "sig:"


class ReplayGuard(Middleware):
    def __init__(self, deliveries: DeliveryStore) -> None:
        self.deliveries = deliveries

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") == "event_callback":
            return next()
        signature = first_header(req, "x-slack-signature")
        if not signature or not changes_state(body):
            return next()
        if not self.deliveries.claim_event(REPLAY_PREFIX + signature):
            log.warning("Refused a replayed request (a signature already used)")
            return BoltResponse(status=401, body="")
        return next()


def changes_state(body: dict) -> bool:
    """Whether replaying this request could change anything: `/sport retrain`, buttons,
    shortcuts. Classifying, help and status only answer the sender (a replayer learns
    nothing new) and stay free of database writes on the hot path."""
    if "command" in body:
        return parse(str(body.get("text") or ""))[0] == "retrain"
    return True
