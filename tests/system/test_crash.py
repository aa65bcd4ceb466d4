"""A web process killed with SIGKILL in the middle of tagging, then started again."""

from __future__ import annotations

import json
import signal
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select

from tests.standins.slack_api import SlackStandIn
from tests.system.conftest import Web, app_env, poll, register_tiny_model
from training.storage.schema import Example, Tag

pytestmark = [pytest.mark.e2e, pytest.mark.needs_postgres]

MESSAGES = 12


def _scalar(db_url: str, statement):
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(statement).scalar()
    finally:
        engine.dispose()


def _message(i: int) -> dict:
    ts = f"1700000500.{i:06d}"
    return {
        "type": "message",
        "channel": "C0SPORT",
        "user": "UALICE",
        "text": f"the goalie stopped the puck on the power play {i}",
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


def _correction(web: Web, i: int):
    value = json.dumps({"t": f"a home run in the ninth inning {i}", "c": None, "s": None})
    return web.client.click("correct_baseball", value, user="UBOB")


def test_sigkill_mid_work_loses_no_feedback_and_duplicates_no_tag(
    pg_url, slack: SlackStandIn, processes, tmp_path
):
    register_tiny_model(pg_url, tmp_path / "models")
    # Slow reactions down so the kill lands while tags are still pending.
    slack.limit_rate("reactions.add", calls=2, per_seconds=1.0)
    env = app_env(pg_url, slack, tmp_path / "home", SPORTBOT_PENDING_GRACE_SECONDS="0")
    web = Web(env, tmp_path / "web.log", slack)
    processes.append(web)
    web.wait_ready()

    events = [(f"EvCRASH{i:04d}", _message(i)) for i in range(MESSAGES)]
    for event_id, event in events:
        assert web.client.event(event, event_id=event_id).status == 200
    for i in range(3):
        assert _correction(web, i).status == 200
    stored = poll(lambda: _scalar(pg_url, select(func.count()).select_from(Example)) >= 3)
    assert stored
    unfinished = Tag.status.in_(["queued", "pending"])
    pending = _scalar(pg_url, select(func.count()).select_from(Tag).where(unfinished))

    web.kill(signal.SIGKILL)
    assert pending > 0  # the kill did land in the middle of the work

    restarted = Web(env, tmp_path / "web2.log", slack)
    processes.append(restarted)
    restarted.wait_ready()
    # Slack redelivers what it thinks failed; send every event again, the worst case.
    for event_id, event in events:
        reply = restarted.client.event(event, event_id=event_id, retry_num=1)
        assert reply.status == 200

    not_pending = select(func.count()).select_from(Tag).where(~unfinished)
    poll(lambda: _scalar(pg_url, not_pending) >= MESSAGES, timeout=30)
    assert _scalar(pg_url, select(func.count()).select_from(Example)) == 3
    assert _scalar(pg_url, select(func.count()).select_from(Tag)) == MESSAGES
    added = Counter(
        call.params["timestamp"]
        for call in slack.calls_to("reactions.add")
        if (call.response or {}).get("ok")  # already_reacted answers are not new reactions
    )
    assert set(added) == {event["ts"] for _, event in events}
    assert max(added.values()) == 1  # no message got its reaction twice
