"""A person reacting with the other sport's emoji corrects sportbot's tag."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.tagging import Tagger
from training.feedback import CORRECTED, TAGGED, FeedbackStore

log = logging.getLogger(__name__)


def reaction_added(
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    tagger: Tagger,
    feedback: FeedbackStore,
) -> None:
    item = event.get("item", {})
    user = event.get("user")
    if item.get("type") != "message" or not user or user == context.bot_user_id:
        return
    label = tagger.emoji.label_of(event.get("reaction", ""))
    if label is None:
        return
    channel, ts = item["channel"], item["ts"]
    tag = feedback.tag_for(channel, ts)
    if tag is None or tag.status not in (TAGGED, CORRECTED) or tag.current_label == label:
        return
    feedback.record_example(
        text=tag.text or "", label=label, user=user, channel=channel, ts=ts, source="reaction"
    )
    tagger.fix_tag(client, channel=channel, ts=ts, label=label, user=user)
    log.info("%s corrected %s/%s from %s to %s", user, channel, ts, tag.current_label, label)
