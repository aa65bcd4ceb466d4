"""Every message event: new messages by people are tagged; the rest are ignored (200)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.tagging import Tagger, is_taggable
from training.config import Settings


def message_posted(
    event: dict[str, Any], client: WebClient, *, settings: Settings, tagger: Tagger
) -> None:
    # Bolt has already answered 200; tagging goes to the tagger's own queue.
    if is_taggable(event, settings.slack):
        tagger.submit(client, event)
