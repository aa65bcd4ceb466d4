"""Every answer satisfies Block Kit's limits, whatever the text: any script, any length.

The strict stand-in refuses what Slack refuses (``response_url`` posts), and the
harness checks the acknowledgements (``ServedBot.post``); a refused answer is
one the person never sees.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import blocks
from bot.sport_text import parse
from tests.bot.conftest import CHANNEL, FakeClassifier, ServedBot
from tests.standins.block_kit import blocks_errors, encoded_length
from tests.standins.slack_api import TEAM
from training.classifiers.base import Prediction, valid_text

pytestmark = pytest.mark.e2e

# Scripts whose every character json.dumps escapes (6 characters, 12 for an emoji).
_WIDE = "日本語のテキスト привет мир éàüñç ⚾🏒😀👍🏽👨‍👩‍👧"
_texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=3000),
    st.text(st.sampled_from(_WIDE), min_size=300, max_size=3000),
)
# Within a JSON payload (the shortcut's message) a text may even hold lone surrogates.
_message_texts = st.one_of(_texts, st.text(min_size=1, max_size=500))

_PREDICTION = Prediction("hockey", 0.9, {}, "fake-1")


def _value(answer_blocks: list[dict]) -> str:
    actions = next(block for block in answer_blocks if block["type"] == "actions")
    return actions["elements"][0]["value"]


def _shortcut(bot: ServedBot, text: str) -> dict:
    return {
        "type": "message_action",
        "callback_id": "classify_message",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": "UBOB", "team_id": TEAM},
        "channel": {"id": CHANNEL, "name": "sports"},
        "message": {"type": "message", "user": "UALICE", "text": text, "ts": "1700000000.000001"},
        "response_url": bot.slack_api.response_url("shortcut"),
        "trigger_id": bot.trigger_id(),
        "message_ts": "1700000000.000001",
    }


@pytest.fixture
def limits_bot(serve, registered_model) -> ServedBot:
    return serve(classifier=FakeClassifier())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=_texts, message_text=_message_texts)
@example(text="日本語" * 140, message_text="🏒" * 165)  # the 400 characters, 165 emoji
@example(text="é" * 40_000, message_text="👍🏽" * 20_000)  # Slack's longest message
@example(text="\x00", message_text="0\x00")
def test_sport_and_the_shortcut_answer_any_text_within_block_kit_limits(
    limits_bot, text, message_text
):
    if parse(text)[0] in ("classify", "classify_public"):
        reply = limits_bot.command(text)  # the harness checks the acknowledgement's blocks
        assert reply.status == 200
        answer = reply.json()
        argument = valid_text(parse(text)[1])  # NUL is a space, as stored and classified
        if argument.strip():
            kept, _, _ = blocks.parse_correction(_value(answer["blocks"]))
            assert argument.startswith(kept)
            assert len(kept) >= min(len(argument), 150)
        else:
            assert "Nothing to classify" in answer["text"]

    before = len(limits_bot.slack_api.calls_to("response_url"))
    assert limits_bot.interaction(_shortcut(limits_bot, message_text)).status == 200
    posted = limits_bot.slack_api.wait_for("response_url", before + 1)[before]
    assert posted.response == {"ok": True}, limits_bot.slack_api.refused_blocks


@given(text=_message_texts)
@settings(max_examples=200)
@example(text="\\" * 3000)  # each escaped twice: in the value, then in the request
@example(text='"' * 3000)
def test_correction_values_fit_encoded_and_keep_as_much_text_as_fits(text):
    answer = blocks.prediction_blocks(text, _PREDICTION, channel="C0123456789", ts="1.2")
    value = _value(answer)

    assert blocks_errors(answer) == []
    assert encoded_length(value) <= 2000
    kept, channel, ts = blocks.parse_correction(value)
    assert (channel, ts) == ("C0123456789", "1.2")
    whole = valid_text(text)
    assert whole.startswith(kept)
    if kept != whole:  # cut only where one more character (12 encoded, at most) might not fit
        assert encoded_length(value) > 2000 - 12


@given(text=_texts, label=st.text(max_size=30))
@settings(max_examples=25, deadline=None)
def test_the_admins_home_view_with_its_most_corrections_is_valid(text: str, label: str) -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from tests.standins.block_kit import view_errors
    from training.storage.tags import WeeklyCounts
    from training.storage.votes import Correction

    corrections = [
        Correction(
            id=n,
            key=f"msg:C1:{n}.1",
            text=text,
            label=label or "hockey",
            user="UBOB",
            is_admin=n % 2 == 0,
            channel="C1",
            ts=f"{n}.1",
            source="reaction",
            state="accepted",
            created_at=datetime(2026, 12, 1, tzinfo=UTC),
            decided_by=None,
        )
        for n in range(blocks.HOME_CORRECTIONS + 5)
    ]
    runs = [SimpleNamespace(id=n, accuracy=0.9) for n in range(10)]

    view = blocks.home_view(
        info=None,
        runs=runs,
        counts=WeeklyCounts(1, 2, 3),
        is_admin=True,
        chart_file="F0001",
        corrections=corrections,
    )

    assert view_errors(view) == []
    assert "<!" not in str(view).replace("<@UBOB>", "")  # no mention slips in from a text
