"""Every message event: new messages by people are tagged; the rest are ignored (200)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.tagging import ACCEPTED, Tagger, is_taggable
from training.config import Settings


def message_posted(
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    settings: Settings,
    tagger: Tagger,
) -> None:
    # Bolt has already answered 200. The middleware stored the tag before that when
    # it could (Tagger.accept); the reaction, or the whole tagging, goes to the queue.
    accepted = context.get(ACCEPTED)
    if accepted is not None:
        tagger.finish(client, event, accepted)
    elif is_taggable(event, settings.slack):
        tagger.submit(client, event)
