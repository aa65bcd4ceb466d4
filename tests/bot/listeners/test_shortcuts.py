"""The message shortcut called directly with stand-in ack, respond and models."""

from __future__ import annotations

import pytest

from bot.listeners.shortcuts.classify_message import classify_message

pytestmark = pytest.mark.unit


def _shortcut(text):
    return {"message": {"text": text, "ts": "1.2"}, "channel": {"id": "C1"}}


def test_a_message_is_classified_privately(ack, respond, models):
    classify_message(ack, _shortcut("Puck drop at seven"), respond, models=models)

    assert ack.calls == [((), {})]
    [(_, answer)] = respond.calls
    assert "hockey" in answer["text"].lower()
    assert answer["response_type"] == "ephemeral"
    assert models.called("classify") == [(("Puck drop at seven",), {})]


def test_a_message_without_text_is_not_classified(ack, respond, models):
    classify_message(ack, _shortcut("  "), respond, models=models)

    assert respond.text() == "That message has no text to classify."
    assert models.called("classify") == []
