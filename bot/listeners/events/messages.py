"""Every message event: new messages by people are tagged; the rest are ignored (200)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.tagging import ACCEPTED, QUEUED, Tagger


def message_posted(event: dict[str, Any], context: BoltContext, *, tagger: Tagger) -> None:
    # The middleware stored the message before Bolt answered 200 (Tagger.accept);
    # a tagger classifies and reacts. One in this process looks now, not at its next poll.
    if context.get(ACCEPTED) == QUEUED:
        tagger.wake()
