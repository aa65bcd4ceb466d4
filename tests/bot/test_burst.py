"""A burst of messages while Slack rate-limits reactions.add: every one tagged once."""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.bot.conftest import FakeClassifier, wait_until

pytestmark = pytest.mark.e2e

BURST = 60


# One database is enough: the waits are Slack's, and the run takes ~25 s.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_burst_under_reactions_rate_limit_tags_each_message_once(
    serve, registered_model, slack_api, caplog
):
    caplog.set_level(logging.INFO)
    slack_api.limit_rate("reactions.add", calls=5, per_seconds=2.0)
    bot = serve(classifier=FakeClassifier())
    stamps = [f"1700000400.{i:06d}" for i in range(BURST)]

    def send(ts: str) -> float:
        started = time.monotonic()
        reply = bot.message(f"the goalie stopped the puck #{ts}", ts=ts)
        assert reply.status == 200
        return time.monotonic() - started

    with ThreadPoolExecutor(10) as pool:
        ack_seconds = list(pool.map(send, stamps))

    assert max(ack_seconds) < 3.0  # Bolt acks; tagging waits out the 429s afterwards
    wait_until(lambda: len(_added(slack_api)) >= BURST, timeout=90)
    time.sleep(0.5)  # a late duplicate would show up now
    per_message = Counter(call.params["timestamp"] for call in _added(slack_api))
    assert sorted(per_message) == stamps
    assert set(per_message.values()) == {1}
    refused = [c for c in slack_api.calls_to("reactions.add") if c.response.get("error")]
    assert refused  # the limiter did bite: the test exercised the 429 path
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors


def _added(slack_api) -> list:
    return [c for c in slack_api.calls_to("reactions.add") if (c.response or {}).get("ok")]
