"""Which messages are tagged, and the emoji of each label (bot.tagger.rules)."""

from __future__ import annotations

import pytest

from bot.tagger.rules import Emoji, is_taggable
from training.config import SlackSettings

pytestmark = pytest.mark.unit


def test_emoji_maps_both_ways_and_ignores_skin_tones():
    emoji = Emoji(SlackSettings(emoji_hockey="hockey"))

    assert emoji.for_label("hockey") == "hockey"
    assert emoji.for_label("other") is None
    assert emoji.label_of("baseball::skin-tone-2") == "baseball"
    assert emoji.label_of("tada") is None


@pytest.mark.parametrize(
    ("event", "taggable"),
    [
        ({"user": "U1", "text": "hi", "channel": "C1"}, True),
        ({"user": "U1", "text": "hi", "channel": "C1", "subtype": "thread_broadcast"}, True),
        ({"user": "U1", "text": "hi", "channel": "C1", "subtype": "message_changed"}, False),
        ({"user": "U1", "text": "hi", "channel": "C1", "bot_id": "B1"}, False),
        ({"user": "U1", "text": "  ", "channel": "C1"}, False),
        ({"user": "U1", "text": "hi", "channel": "C2"}, False),
    ],
)
def test_is_taggable(event, taggable):
    slack = SlackSettings(channels=frozenset({"C1"}))
    assert is_taggable(event, slack) is taggable
