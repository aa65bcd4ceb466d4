"""The Baseball / Hockey / Neither buttons under an answer: a labelled example."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.tagging import Tagger
from training.feedback import FeedbackStore


def correction_clicked(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    *,
    feedback: FeedbackStore,
    tagger: Tagger,
) -> None:
    ack()
    label = action["action_id"].removeprefix(f"{blocks.CORRECT_ACTION}_")
    text, channel, ts = blocks.parse_correction(action["value"])
    user = body["user"]["id"]
    feedback.record_example(
        text=text,
        label=label,
        user=user,
        channel=channel or body.get("channel", {}).get("id"),
        ts=ts,
        source="button",
    )
    if channel and ts:  # the answer was about a channel message: fix its tag too
        tagger.fix_tag(client, channel=channel, ts=ts, label=label, user=user)
    respond(text=blocks.thanks_text(label), replace_original=True)
