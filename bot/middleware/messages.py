"""Channel messages: stored for the tagger and answered before any listener.

All a message event needs before its ack is to be stored as a queued tag (one row
per channel and ts, which is also its claim against a redelivery), found a
duplicate, or found not to be tagged; then this process's tagger, if it has one,
looks at once. Answered here because Bolt's listener machinery (matching every
listener, building keyword arguments, its runner) cost a large share of the ack's
time, for a listener that would only wake the tagger.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.tagger import QUEUED, Tagger


class MessageEvents(Middleware):
    def __init__(self, tagger: Tagger) -> None:
        self.tagger = tagger

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        if event.get("type") != "message":
            return next()
        if self.tagger.accept(event) == QUEUED:
            self.tagger.wake()
        return BoltResponse(status=200, body="")
