"""Tags a killed web process left pending, taken up by the one restarted at once."""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select

from tests.standins.slack_api import SlackStandIn
from tests.system.conftest import Web, app_env, poll, register_tiny_model
from training.storage.schema import Tag

pytestmark = [pytest.mark.e2e, pytest.mark.needs_postgres]

MESSAGES = 30
# Longer than a restart takes, so the restarted process's start finds the tags too young.
GRACE = 10.0


def _count(db_url: str, *where) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Tag).where(*where)).scalar()
    finally:
        engine.dispose()


def _message(i: int) -> dict:
    ts = f"1700000900.{i:06d}"
    return {
        "type": "message",
        "channel": "C0SPORT",
        "user": "UALICE",
        "text": f"the goalie stopped the puck on the power play {i}",
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


def test_pending_tags_of_a_killed_process_are_finished_within_the_grace_period(
    pg_url, slack: SlackStandIn, processes, tmp_path
):
    register_tiny_model(pg_url, tmp_path / "models")
    # Slow reactions down so the kill lands while most tags are classified but pending.
    slack.limit_rate("reactions.add", calls=3, per_seconds=1.0)
    env = app_env(
        pg_url,
        slack,
        tmp_path / "home",
        SPORTBOT_PENDING_GRACE_SECONDS=str(GRACE),
        SPORTBOT_TAG_DELAY_SECONDS="0",
    )
    web = Web(env, tmp_path / "web.log", slack)
    processes.append(web)
    web.wait_ready()

    events = [_message(i) for i in range(MESSAGES)]
    for event in events:
        assert web.client.event(event).status == 200
    poll(lambda: _count(pg_url, Tag.status == "pending") >= 10, timeout=15)
    web.kill(signal.SIGKILL)  # master, worker and tagger process: the whole session
    killed = time.monotonic()
    left = _count(pg_url, Tag.status.in_(["queued", "pending"]))
    assert left >= 10  # the kill did land in the middle of the burst

    slack.limit_rate("reactions.add", calls=1000, per_seconds=1.0)
    restarted = Web(env, tmp_path / "web2.log", slack)  # at once, well within the grace
    processes.append(restarted)
    restarted.wait_ready()
    assert time.monotonic() - killed < GRACE  # its start found them too young to take

    # No redelivery (Slack had its 200s): the running process must take them up itself.
    unfinished = Tag.status.in_(["queued", "pending"])
    poll(lambda: _count(pg_url, unfinished) == 0, timeout=GRACE + 6, interval=0.2)
    assert time.monotonic() - killed < GRACE + 6
    added = Counter(
        call.params["timestamp"]
        for call in slack.calls_to("reactions.add")
        if (call.response or {}).get("ok")  # already_reacted answers are not new reactions
    )
    assert set(added) == {event["ts"] for event in events}
    assert max(added.values()) == 1  # every message reacted exactly once
    assert _count(pg_url, Tag.status == "tagged") == MESSAGES
