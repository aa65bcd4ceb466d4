"""Two gunicorn web processes and the clock process on one PostgreSQL database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.standins.slack_api import SlackStandIn
from tests.system.conftest import (
    SHARED_ARCHIVE,
    Process,
    Web,
    app_env,
    poll,
    register_tiny_model,
    sportbot_cli,
)
from training.storage.schema import Tag, TrainingRun

pytestmark = [pytest.mark.e2e, pytest.mark.needs_postgres]


@pytest.fixture(scope="module")
def model(pg_url: str, tmp_path_factory: pytest.TempPathFactory):
    return register_tiny_model(pg_url, tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def cluster(pg_url: str, slack: SlackStandIn, model, tmp_path_factory: pytest.TempPathFactory):
    """Web processes A and B and one scheduler, all on ``pg_url``; killed at the end."""
    root = tmp_path_factory.mktemp("cluster")
    extra = {"SPORTBOT_20NEWS": str(SHARED_ARCHIVE)} if SHARED_ARCHIVE.exists() else {}
    webs = [
        Web(app_env(pg_url, slack, root / name, **extra), root / f"{name}.log", slack)
        for name in ("a", "b")
    ]
    clock_env = app_env(pg_url, slack, root / "clock", **extra)
    clock = Process(
        [*_cli(), "scheduler"],
        clock_env,
        root / "clock.log",
    )
    try:
        for web in webs:
            web.wait_ready()
        yield {"a": webs[0], "b": webs[1], "clock": clock, "root": root}
    finally:
        for process in (*webs, clock):
            process.kill()


def _cli() -> list[str]:
    import sys

    return [sys.executable, "-c", "from bot.cli import main; main()"]


def _count(db_url: str, statement) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(statement).scalar() or 0)
    finally:
        engine.dispose()


def test_the_clock_process_runs_beside_the_web_processes(cluster):
    clock = cluster["clock"]
    poll(lambda: "Retraining on schedule" in clock.output(), timeout=30)
    assert clock.alive(), clock.output()


def test_a_slack_retry_reaching_the_other_process_tags_only_once(cluster, slack, pg_url):
    a, b = cluster["a"].client, cluster["b"].client
    event = {
        "type": "message",
        "channel": "C0SPORT",
        "user": "UALICE",
        "text": "the goalie stopped the puck on the power play",
        "ts": "1700000100.000001",
        "event_ts": "1700000100.000001",
        "channel_type": "channel",
    }
    first = a.event(event, event_id="EvRETRY0001")
    poll(lambda: _reactions_on(slack, event["ts"]))
    retry = b.event(event, event_id="EvRETRY0001", retry_num=1)

    assert (first.status, retry.status) == (200, 200)
    poll(lambda: "duplicate delivery ignored" in cluster["b"].output())  # B recognised it
    where = (Tag.channel_id == "C0SPORT") & (Tag.message_ts == event["ts"])
    assert _count(pg_url, select(func.count()).select_from(Tag).where(where)) == 1
    assert len(_reactions_on(slack, event["ts"])) == 1


def _reactions_on(slack: SlackStandIn, ts: str) -> list:
    return [
        call
        for call in slack.calls_to("reactions.add")
        if call.params.get("timestamp") == ts and (call.response or {}).get("ok")
    ]


def test_a_model_promoted_from_the_cli_is_used_by_both_web_processes(
    cluster, pg_url, tmp_path: Path, model
):
    new = register_tiny_model(pg_url, tmp_path, flip=True, promote=False)
    assert new.id != model.id
    env = cluster["a"].env

    result = sportbot_cli("promote", new.id, env=env)

    assert result.returncode == 0, result.stderr
    for web in (cluster["a"], cluster["b"]):
        # ModelSource looks at the registry every 2 s: well within 10 s.
        reply = poll(lambda web=web: _answer_with(web, new.id), timeout=10)
        assert "*baseball*" in reply  # the flipped model calls a hockey line baseball


def _answer_with(web: Web, model_id: str) -> str | None:
    reply = web.client.command("the goalie stopped the puck")
    return reply.text if model_id in reply.text else None


def test_two_retrain_requests_at_different_processes_start_one_run(cluster, slack, pg_url):
    if not SHARED_ARCHIVE.exists():
        pytest.skip("needs the 20 Newsgroups archive: a run on it lasts long enough to race")
    a, b = cluster["a"].client, cluster["b"].client
    runs = select(func.count()).select_from(TrainingRun)
    before = _count(pg_url, runs)

    assert a.command("retrain").status == 200
    poll(lambda: _count(pg_url, runs) > before, timeout=10)
    assert b.command("retrain").status == 200

    refusal = poll(lambda: _response_matching(slack, "Not started"), timeout=10)
    run_id = _count(pg_url, select(func.max(TrainingRun.id)))
    assert re.search(rf"Training run {run_id} is in progress", refusal)
    assert _count(pg_url, runs) == before + 1
    # The run still holds the lock: the clock would be refused the same way.
    holder = _count(pg_url, text("SELECT count(*) FROM locks"))
    assert holder == 1


def _response_matching(slack: SlackStandIn, needle: str) -> str | None:
    for call in slack.calls_to("response_url"):
        if needle in str(call.params.get("text", "")):
            return call.params["text"]
    return None


def test_gunicorn_refuses_a_huge_body_before_reading_it(cluster):
    import socket
    import time

    with socket.create_connection(("127.0.0.1", cluster["a"].port), timeout=5) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n" + b"{" * 1024
        )
        started = time.monotonic()
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 2.0


def test_no_process_logged_a_token_or_secret(cluster):
    from tests.bot.conftest import SECRET

    # Every test above ran through these processes; their whole output is in the logs.
    for name in ("a", "b", "clock"):
        output = cluster[name].output()
        assert output  # the processes did log: the scan means something
        for secret in ("xoxb-system-test", SECRET):
            assert secret not in output, name
