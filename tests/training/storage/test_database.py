"""Database.write and insert_ignoring_duplicates: the claim every Slack message makes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from training.errors import DatabaseUnavailableError
from training.storage.database import Database, make_engine
from training.storage.deliveries import DeliveryStore
from training.storage.schema import Tag, utcnow
from training.storage.tags import TagStore

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


def test_an_unreachable_database_raises_a_clear_error(tmp_path: Path):
    broken = Database(make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"))

    with pytest.raises(DatabaseUnavailableError, match="Cannot reach the database"):
        DeliveryStore(broken).claim_event("Ev1")


def test_a_written_row_reads_back_as_written(database):
    # On SQLite, write converts values itself (bind processors) for its own connection.
    created = utcnow()
    database.write(
        database.insert_ignoring_duplicates(Tag.__table__), _tag("9.1", created_at=created)
    )

    with database.session() as session:
        row = session.scalars(select(Tag).where(Tag.message_ts == "9.1")).one()
    assert (row.channel_id, row.text, row.confidence, row.status) == (
        "C1",
        "the goalie",
        0.9,
        "pending",
    )
    assert row.created_at.replace(tzinfo=None) == created.replace(tzinfo=None)


def test_a_write_leaving_out_a_defaulted_column_gets_the_default(database):
    row = _tag("9.2")
    del row["created_at"]  # the column's default (utcnow) fills it in

    assert database.write(database.insert_ignoring_duplicates(Tag.__table__), row) == 1
    with database.session() as session:
        stored = session.scalars(select(Tag).where(Tag.message_ts == "9.2")).one()
    assert stored.created_at is not None


def test_a_refused_write_is_not_reported_as_an_unreachable_database(database):
    row = _tag("9.3", channel_id=None)  # NOT NULL: a bug in the caller, not an outage

    with pytest.raises(Exception, match=r"(?i)not[ -]null") as raised:
        database.write(database.insert_ignoring_duplicates(Tag.__table__), row)
    assert not isinstance(raised.value, DatabaseUnavailableError)


def test_a_write_waits_out_another_process_holding_sqlites_write_lock(settings, monkeypatch):
    """Another process's transaction (a tagger storing a batch) holds SQLite's one write
    lock: the write waits for it in its own short steps, then lands."""
    from training.storage.database import connect

    database = connect(settings)
    other = make_engine(settings.db_url).raw_connection()  # another writer, as a process is
    other.execute("BEGIN IMMEDIATE")  # takes the write lock now
    insert_tag = database.insert_ignoring_duplicates(Tag.__table__)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(database.write, insert_tag, _tag("8.1"))
        with pytest.raises(TimeoutError):
            waiting.result(timeout=0.3)  # still waiting for the lock
        other.commit()
        assert waiting.result(timeout=10) == 1
    other.close()
    assert _count(database, Tag) == 1

    # A lock held past the wait is an unreachable database (503: Slack delivers again).
    monkeypatch.setattr("training.storage.database.BUSY_TIMEOUT", 0.2)
    other = make_engine(settings.db_url).raw_connection()
    other.execute("BEGIN IMMEDIATE")
    try:
        with ThreadPoolExecutor(1) as pool:
            refused = pool.submit(database.write, insert_tag, _tag("8.2"))
            with pytest.raises(DatabaseUnavailableError, match="locked"):
                refused.result(timeout=10)  # SQLite's own handler would wait 30 s
    finally:
        other.rollback()
        other.close()
    assert database.write(insert_tag, _tag("8.2")) == 1  # and it recovers


@pytest.mark.parametrize("name", ["what?now", "a#b", "100%real", "x?mode=ro"])
def test_a_home_with_url_characters_opens_its_own_sqlite_file(tmp_path: Path, name: str) -> None:
    from training.config import Settings
    from training.storage.database import connect

    home = tmp_path / name
    database = connect(Settings(home=home))
    try:
        assert database.engine.url.database == str(home / "sportbot.db")
        TagStore(database).queue_tag(channel="C1", ts="1.1", text="the goalie")
    finally:
        database.engine.dispose()
    assert (home / "sportbot.db").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no file beside it
