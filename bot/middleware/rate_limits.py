"""Slack's ``app_rate_limited`` envelope: no listener's business, logged and answered."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

log = logging.getLogger("bot.middleware")


class RateLimitNotices(Middleware):
    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") != "app_rate_limited":
            return next()
        log.warning(
            "Slack rate-limited event deliveries for team %s (minute %s)",
            body.get("team_id"),
            body.get("minute_rate_limited"),
        )
        return BoltResponse(status=200, body="")
