"""Automatic tagging of channel messages, and fixing a tag when a person corrects it.

Tagging runs on an executor of its own, after Bolt has acknowledged the
event: a 429 from reactions.add is waited out there (slack_sdk's retry
handler) without holding the threads that acknowledge /sport and buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient

from bot.models import ModelSource
from bot.reactions import add_reaction, remove_reaction
from training.classifiers.base import SPORT_LABELS
from training.config import SlackSettings
from training.errors import NoModelError
from training.feedback import FAILED, SKIPPED, TAGGED, FeedbackStore

log = logging.getLogger(__name__)

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

    def for_label(self, label: str) -> str | None:
        return self.by_label.get(label)

    def label_of(self, reaction: str) -> str | None:
        # "baseball::skin-tone-2" style names keep the base name before "::".
        return self.labels.get(reaction.split("::")[0])


class Tagger:
    """Classifies messages and puts the label's emoji on them."""

    def __init__(
        self,
        slack: SlackSettings,
        feedback: FeedbackStore,
        models: ModelSource,
        executor: Executor | None = None,
    ) -> None:
        self.slack = slack
        self.feedback = feedback
        self.models = models
        self.emoji = Emoji(slack)
        # Bounded: a burst queues here while rate limits are waited out.
        self._executor = executor or ThreadPoolExecutor(4, thread_name_prefix="tagger")

    def submit(self, client: WebClient, event: Mapping[str, Any]) -> Future:
        return self._executor.submit(self._tag_logged, client, dict(event))

    def _tag_logged(self, client: WebClient, event: dict) -> str:
        try:
            return self.tag(client, event)
        except Exception:
            # Off Bolt's listener threads, so @app.error never sees this: log it here.
            log.exception("Tagging %s/%s failed", event.get("channel"), event.get("ts"))
            return FAILED

    def tag(self, client: WebClient, event: Mapping[str, Any]) -> str:
        """Tag one message; the tag's status (tagged, skipped, failed) or "duplicate"."""
        channel, ts, text = event["channel"], event["ts"], event["text"]
        try:
            prediction = self.models.classify(text).prediction
        except NoModelError:
            log.info("No active model: message %s/%s left untagged", channel, ts)
            return SKIPPED
        reaction = self._reaction(prediction.label, prediction.confidence)
        if not self.feedback.record_tag(
            channel=channel,
            ts=ts,
            text=text,
            label=prediction.label,
            confidence=prediction.confidence,
            model_id=prediction.model,
            reaction=reaction,
        ):
            return "duplicate"  # another process tagged it already
        status = SKIPPED
        if reaction:
            status = TAGGED if add_reaction(client, channel, ts, reaction) else FAILED
        self.feedback.set_tag_status(
            channel, ts, status, reaction=reaction if status == TAGGED else None
        )
        return status

    def _reaction(self, label: str, confidence: float) -> str | None:
        if label in SPORT_LABELS and confidence >= self.slack.threshold:
            return self.emoji.for_label(label)
        return None

    def fix_tag(self, client: WebClient, *, channel: str, ts: str, label: str, user: str) -> bool:
        """Swap sportbot's reaction for the corrected label's; False when the message has no tag."""
        new = self.emoji.for_label(label)
        before = self.feedback.correct_tag(
            channel=channel, ts=ts, label=label, user=user, reaction=new
        )
        if before is None:
            return False
        if before.reaction and before.reaction != new:
            remove_reaction(client, channel, ts, before.reaction)
        if new and new != before.reaction:
            add_reaction(client, channel, ts, new)
        return True
