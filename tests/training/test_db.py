"""Database.write: many threads' one-row writes committed together (GroupCommit)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from training.db import Database, GroupCommit, make_engine
from training.errors import DatabaseUnavailableError
from training.feedback import FeedbackStore
from training.schema import SlackEvent, Tag, utcnow

pytestmark = pytest.mark.unit


def _tag(ts: str, **overrides) -> dict:
    row = {
        "channel_id": "C1",
        "message_ts": ts,
        "text": "the goalie",
        "label": "hockey",
        "confidence": 0.9,
        "model_id": "local-x",
        "reaction": None,
        "status": "pending",
        "created_at": utcnow(),
    }
    return {**row, **overrides}


def _count(database: Database, table) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_writes_from_many_threads_all_land_and_duplicates_change_nothing(database):
    insert_tag = database.insert_ignoring_duplicates(Tag.__table__)
    # 400 writes of 200 distinct messages: each message's first write inserts (1),
    # its second finds the row there (0), whichever thread gets there first.
    with ThreadPoolExecutor(16) as pool:
        counts = list(
            pool.map(lambda n: database.write(insert_tag, _tag(f"{n % 200}.1")), range(400))
        )

    assert sorted(counts) == [0] * 200 + [1] * 200
    assert _count(database, Tag) == 200


def test_writes_are_batched_into_shared_transactions(database, monkeypatch):
    transactions = []
    opened = database.transaction

    def counted():
        transactions.append(threading.current_thread().name)
        return opened()

    monkeypatch.setattr(database, "transaction", counted)
    claim = database.insert_ignoring_duplicates(SlackEvent.__table__)
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda n: database.write(claim, {"event_id": f"Ev{n}", "received_at": utcnow()}),
                range(300),
            )
        )

    assert _count(database, SlackEvent) == 300
    assert set(transactions) == {"group-commit"}  # only the writer thread opens them
    assert len(transactions) < 300  # and several writes shared one


def test_a_failing_write_fails_alone(database):
    writer = GroupCommit(database)
    insert_tag = database.insert_ignoring_duplicates(Tag.__table__)
    bad = update(Tag).values(no_such_column=1)  # fails when executed
    good = [_tag(f"{n}.2") for n in range(5)]

    batch = [writer_write(writer, insert_tag, row) for row in good[:2]]
    batch.append(writer_write(writer, bad, {}))
    batch += [writer_write(writer, insert_tag, row) for row in good[2:]]
    for thread in batch:
        thread.join(10)

    outcomes = [thread.outcome for thread in batch]
    assert isinstance(outcomes[2], Exception)
    assert outcomes[:2] + outcomes[3:] == [1, 1, 1, 1, 1]
    assert _count(database, Tag) == 5


def writer_write(writer: GroupCommit, statement, params) -> threading.Thread:
    """Start ``writer.execute`` on a thread; its result or error lands in ``.outcome``."""

    def run() -> None:
        try:
            thread.outcome = writer.execute(statement, params)
        except Exception as error:
            thread.outcome = error

    thread = threading.Thread(target=run)
    thread.outcome = None
    thread.start()
    return thread


def test_an_unreachable_database_raises_its_error_to_the_writer(tmp_path: Path):
    broken = Database(make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"))

    with pytest.raises(DatabaseUnavailableError, match="Cannot reach the database"):
        FeedbackStore(broken).claim_event("Ev1")
