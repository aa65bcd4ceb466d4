"""The "Classify with sportbot" message shortcut: classify any message on demand."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.listeners.commands.sport import answer_message
from bot.model_source import ModelSource

CALLBACK_ID = "classify_message"


def classify_message(
    ack: Ack, shortcut: dict[str, Any], respond: Respond, *, models: ModelSource
) -> None:
    ack()  # first: a remote model may take longer than Slack's 3 seconds
    message = shortcut.get("message", {})
    text = message.get("text") or ""
    if not text.strip():
        respond("That message has no text to classify.", response_type="ephemeral")
        return
    answer = models.classify(text)
    respond(
        **answer_message(text, answer, channel=shortcut["channel"]["id"], ts=message.get("ts")),
        response_type="ephemeral",
        replace_original=False,
    )
