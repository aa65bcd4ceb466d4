"""Votes in the database: one per person and key, nothing ever deleted; migration 0008."""

from __future__ import annotations

import contextlib
import os

import pytest
from alembic import command
from sqlalchemy import text

from training.config import TeachingSettings
from training.pipeline.collect import sample_weights, slack_examples, write_weights
from training.storage.database import _alembic_config, make_engine
from training.storage.teaching import ACCEPTED, REJECTED, SUPERSEDED, WITHDRAWN, source_key
from training.storage.votes import CHANGED, NEW, SAME, VoteStore

pytestmark = pytest.mark.unit

KEY = source_key("C1", "1.1", "")


def _cast(store, label, user="UA", key=KEY, **extra):
    fields = {"text": "the goalie", "is_admin": False, "source": "reaction"} | extra
    return store.cast(key=key, label=label, user=user, channel="C1", ts="1.1", **fields)


def test_clicking_again_stores_nothing_and_a_new_label_supersedes_the_old(database):
    store = VoteStore(database)

    assert _cast(store, "hockey") == NEW
    assert [_cast(store, "hockey") for _ in range(20)] == [SAME] * 20
    assert _cast(store, "baseball") == CHANGED

    states = [(c.label, c.state) for c in reversed(store.corrections())]
    assert states == [("hockey", SUPERSEDED), ("baseball", ACCEPTED)]
    assert [v.label for v in store.accepted(KEY)] == ["baseball"]


def test_withdrawn_and_rejected_votes_stay_with_their_state(database):
    store = VoteStore(database)
    _cast(store, "hockey", "UA")
    _cast(store, "hockey", "UB")
    _cast(store, "hockey", "UB", key=source_key("C1", "2.1", ""))

    assert store.withdraw(key=KEY, user="UA", label="baseball") is False  # not their label
    assert store.withdraw(key=KEY, user="UA", label="hockey") is True
    assert store.reject(by="UADMIN", user="UB") == 2

    rows = {(c.user, c.ts, c.state, c.decided_by) for c in store.corrections()}
    assert rows == {
        ("UA", "1.1", WITHDRAWN, "UA"),
        ("UB", "1.1", REJECTED, "UADMIN"),
        ("UB", "1.1", REJECTED, "UADMIN"),
    }
    assert store.accepted() == []


def test_slack_examples_are_one_row_per_key_with_its_weight(database):
    store = VoteStore(database)
    _cast(store, "hockey", "UA")
    _cast(store, "hockey", "UB")
    _cast(store, "baseball", "UC", key=source_key(None, None, "a walk-off homer"), text="homer")

    frame, upto = slack_examples(database, ("baseball", "hockey", "other"), TeachingSettings())

    weight = TeachingSettings().correction_weight
    assert sorted(map(tuple, frame.values.tolist())) == [
        ("homer", "baseball", weight),
        ("the goalie", "hockey", 2 * weight),
    ]
    assert upto == 3


def test_weights_reach_the_training_examples_beside_the_prepared_files(tmp_path, database):
    store = VoteStore(database)
    _cast(store, "hockey", "UA")
    frame, _ = slack_examples(database, ("baseball", "hockey", "other"), TeachingSettings())

    write_weights(tmp_path, frame)

    weights = sample_weights(tmp_path, ["a newsgroup post", "the goalie"], ["other", "hockey"])
    assert weights == [1.0, TeachingSettings().correction_weight]
    assert sample_weights(tmp_path / "none", ["the goalie"], ["hockey"]) == [1.0]


@contextlib.contextmanager
def _empty_database(kind: str, tmp_path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    from tests.postgres import fresh_database

    with fresh_database(url) as db_url:
        yield db_url


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.needs_postgres)]
)
def test_migration_0008_keys_old_examples_and_keeps_each_persons_newest(kind, tmp_path):
    with _empty_database(kind, tmp_path) as url:
        _check_migration_0008(make_engine(url))


def _check_migration_0008(engine):
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
        for label in ("baseball", "hockey", "hockey"):  # one person clicking three times
            connection.execute(
                text(
                    "INSERT INTO examples (text, label, user_id, channel_id, message_ts, source,"
                    " created_at) VALUES ('the goalie', :label, 'UA', 'C1', '1.1', 'button',"
                    " '2026-11-30 10:00:00')"
                ),
                {"label": label},
            )
        connection.execute(
            text(
                "INSERT INTO examples (text, label, user_id, source, created_at) VALUES"
                " ('a homer', 'baseball', 'UB', 'cli', '2026-11-30 10:00:00')"
            )
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        rows = connection.execute(
            text("SELECT label, source_key, state FROM examples ORDER BY id")
        ).all()
    engine.dispose()

    assert [tuple(row) for row in rows] == [
        ("baseball", KEY, SUPERSEDED),
        ("hockey", KEY, SUPERSEDED),
        ("hockey", KEY, ACCEPTED),
        ("baseball", source_key(None, None, "a homer"), ACCEPTED),
    ]


def test_a_cast_from_another_process_waits_for_the_writer_and_reads_its_vote(settings):
    """Two web processes on one SQLite file: a cast that starts while another process
    is writing that person's vote waits, then supersedes it (one accepted vote), rather
    than reading "no vote yet" and failing, or keeping both."""
    import threading
    import time

    from training.storage.database import connect
    from training.storage.schema import Example

    first, second = connect(settings), connect(settings)  # two engines: two processes
    writing, casting_done = threading.Event(), threading.Event()

    def other_process_votes_hockey() -> None:
        with first.session() as session:
            session.execute(text("UPDATE examples SET id = id WHERE 0 = 1"))
            writing.set()
            time.sleep(0.3)  # the cast below starts meanwhile
            assert not casting_done.is_set()  # it waits for this transaction
            session.add(
                Example(
                    text="the goalie", label="hockey", user_id="UA", channel_id="C1",
                    message_ts="1.1", source="reaction", source_key=KEY, state=ACCEPTED,
                    is_admin=False,
                )
            )  # fmt: skip

    writer = threading.Thread(target=other_process_votes_hockey)
    writer.start()
    assert writing.wait(5)
    result = _cast(VoteStore(second), "baseball")
    casting_done.set()
    writer.join()

    assert result == CHANGED
    assert [v.label for v in VoteStore(second).accepted(KEY)] == ["baseball"]
    first.engine.dispose()
    second.engine.dispose()
