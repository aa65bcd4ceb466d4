"""Redelivered events: Slack retries an event it thinks we missed; handle it once.

The claim is a row in the database (``slack_events``), not an in-memory set, so a
retry that reaches another web process is a duplicate too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from training.storage.deliveries import DeliveryStore

log = logging.getLogger("bot.middleware")

NO_RETRY = {"x-slack-no-retry": "1"}


class DuplicateDeliveries(Middleware):
    def __init__(self, deliveries: DeliveryStore) -> None:
        self.deliveries = deliveries

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not event_id:
            return next()
        if self.deliveries.claim_event(event_id):
            return next()
        log.info("Event %s already handled: duplicate delivery ignored", event_id)
        return BoltResponse(status=200, body="", headers=dict(NO_RETRY))
