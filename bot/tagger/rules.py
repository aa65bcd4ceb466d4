"""Which messages the tagger takes, and which emoji stands for which label.

Pure rules over an event and ``SlackSettings``: no database, no Slack calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.config import SlackSettings

# What ``Tagger.accept`` says of a message event, besides ``QUEUED``.
IGNORED = "ignored"  # not a person's new message in a tagged channel
DUPLICATE = "duplicate"  # stored already: a redelivery

# The variable that sets each label's reaction.
EMOJI_SETTINGS = {"baseball": "SPORTBOT_EMOJI_BASEBALL", "hockey": "SPORTBOT_EMOJI_HOCKEY"}

# Subtypes that are a person's new message; edits, deletions, joins, bot posts are not.
TAGGABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}


def is_taggable(event: Mapping[str, Any], slack: SlackSettings) -> bool:
    """A new message written by a person, in a channel sportbot tags."""
    if event.get("subtype") not in TAGGABLE_SUBTYPES or event.get("bot_id"):
        return False
    if not event.get("user") or not (event.get("text") or "").strip():
        return False
    return not slack.channels or event.get("channel") in slack.channels


class Emoji:
    """The reaction of each label, and the label of each reaction."""

    def __init__(self, slack: SlackSettings) -> None:
        self.by_label = {"baseball": slack.emoji_baseball, "hockey": slack.emoji_hockey}
        self.labels = {name: label for label, name in self.by_label.items()}

    def setting_of(self, reaction: str) -> str:
        """The variable that chose ``reaction`` (for messages about it)."""
        label = self.label_of(reaction)
        return EMOJI_SETTINGS[label] if label else "SPORTBOT_EMOJI_*"

    def for_label(self, label: str) -> str | None:
        return self.by_label.get(label)

    def label_of(self, reaction: str) -> str | None:
        # "baseball::skin-tone-2" style names keep the base name before "::".
        return self.labels.get(reaction.split("::")[0])
