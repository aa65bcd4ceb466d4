"""The Baseball / Hockey / Neither buttons under an answer: a person's label."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.teaching import Teacher, Teaching
from training.storage.votes import CHANGED, NEW, SAME

REFUSED_TEXT = (
    "Sorry, sportbot only learns from people of this workspace, in the channels it serves."
)
UNKNOWN_TEXT = "That button is not one of sportbot's: nothing was recorded."


def correction_clicked(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    *,
    teaching: Teaching,
) -> None:
    ack()
    label = action["action_id"].removeprefix(f"{blocks.CORRECT_ACTION}_")
    parsed = blocks.parse_correction(action.get("value") or "")
    if label not in blocks.CHOICE_LABELS or parsed is None:
        respond(text=UNKNOWN_TEXT, replace_original=False, response_type="ephemeral")
        return
    text, channel, ts = parsed
    user = body.get("user", {})
    teacher = Teacher.of_context(
        context,
        user=user.get("id"),
        user_team=user.get("team_id"),
        channel=channel or body.get("channel", {}).get("id"),
    )
    outcome = teaching.clicked(client, teacher, label, text, ts)
    if outcome in (NEW, CHANGED, SAME):
        respond(text=blocks.thanks_text(label), replace_original=True)
    else:
        respond(text=REFUSED_TEXT, replace_original=False, response_type="ephemeral")
