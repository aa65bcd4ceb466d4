"""The database: one engine per process, schema kept by Alembic migrations.

SQLite in ``SPORTBOT_HOME`` by default (WAL mode, so web threads and the CLI
can read while one writes), PostgreSQL through ``DATABASE_URL`` at scale.
``connect(settings)`` checks the database answers and brings the schema to the
latest migration, so every process starts on the same schema. It imports only
``training.config`` and ``training.errors``: every process (web, tagger, clock,
CLI) opens it without Slack or a model family loaded.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Executable,
    Insert,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from training.config import Settings
from training.errors import DatabaseUnavailableError

MIGRATIONS = Path(__file__).with_name("migrations")
# How long a one-statement write waits for another process's SQLite write lock, and
# how often it looks (``_SQLiteWrites.run``).
BUSY_TIMEOUT = 30.0
BUSY_RETRY = 0.0001
_upgrade_lock = threading.Lock()


class Database:
    """An engine, its session factory, and (for SQLite) one lock for transactions.

    SQLite has one writer at a time; threads that collide wait in its busy
    handler, which sleeps 1-100 ms per try, so in a burst of events most of the
    time went to sleeping, not writing. Queueing this process's transactions
    behind a lock instead wakes the next thread as soon as the previous commits.
    Re-entrant: a transaction opened inside another in the same thread must not
    deadlock. PostgreSQL has row locks and many writers, so it gets no lock.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        serialised = engine.url.get_backend_name() == "sqlite"
        self._lock = threading.RLock() if serialised else contextlib.nullcontext()
        self._sqlite_writes = _SQLiteWrites(engine) if serialised else None
        # The SQLite file's identity when first seen: open connections keep writing into
        # a file deleted or replaced under them, and SELECT 1 still answers.
        self._file_id: tuple[int, int] | None = None

    def file_problem(self) -> str | None:
        """Why the SQLite file this process writes to is no longer the database file
        (deleted, or replaced by another), or None (and always None for other databases)."""
        name = self.engine.url.database
        if (
            self._sqlite_writes is None
            or not name
            or name == ":memory:"
            or name.startswith("file:")
        ):
            return None
        try:
            stat = os.stat(name)
        except FileNotFoundError:
            return f"the SQLite file {name} was deleted"
        except OSError as error:
            return f"the SQLite file {name} cannot be read: {error.strerror}"
        identity = (stat.st_dev, stat.st_ino)
        if self._file_id is None:
            self._file_id = identity
        elif identity != self._file_id:
            return f"the SQLite file {name} was replaced by another file"
        return None

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        try:
            with self._lock, self._sessions.begin() as session:
                yield session
        except OperationalError as error:
            raise DatabaseUnavailableError(_describe(self.engine, error)) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in one transaction, for the hot paths of the Slack app.

        An ORM session costs several times the CPU of a Core statement per small
        write, and acknowledging a message event waits for one.
        """
        try:
            with self._lock, self.engine.begin() as connection:
                yield connection
        except OperationalError as error:
            raise DatabaseUnavailableError(_describe(self.engine, error)) from None

    def write(self, statement: Executable, params: dict[str, Any]) -> int:
        """Run one small write in its own transaction; the number of rows it changed.

        A message event's acknowledgement waits for one of these. On SQLite it is
        one call into SQLite on a connection in autocommit mode, with SQLAlchemy's
        work (compiling, converting values) done before taking the write lock: every
        call into SQLite lets go of the GIL and must win it back while the lock is
        held, and with ten busy request threads an ordinary transaction (BEGIN,
        statement, COMMIT, SQLAlchemy in between) held the lock several times as
        long as the work itself (docs/benchmarks.md has the measurements).
        """
        prepared = self._sqlite_writes and self._sqlite_writes.prepare(statement, params)
        if not prepared:
            with self.transaction() as connection:
                return _changed(connection.execute(statement, params))
        try:
            with self._lock:
                return self._sqlite_writes.run(*prepared)
        except self._sqlite_writes.unreachable as error:
            raise DatabaseUnavailableError(_describe(self.engine, error)) from None

    def insert_ignoring_duplicates(self, table: Table) -> Insert:
        """``INSERT ... ON CONFLICT DO NOTHING`` in this database's dialect: a row whose
        key exists already changes nothing (``write`` returns 0) instead of raising."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(table).on_conflict_do_nothing()
        if self.engine.dialect.name == "postgresql":
            # RETURNING the key: psycopg reports no rowcount for an INSERT that returns
            # rows (SQLAlchemy adds RETURNING there), so ``write`` counts returned rows.
            statement = statement.returning(*table.primary_key.columns)
        return statement

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)


class _SQLiteWrites:
    """One-statement writes on SQLite: compiled once, run on a connection of their own
    in autocommit mode (each statement is its own transaction). Callers hold the
    ``Database`` lock around ``run``, so one connection serves every thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # What an unreachable database raises: the driver's error on a statement,
        # SQLAlchemy's when opening the connection fails.
        self.unreachable = (engine.dialect.loaded_dbapi.OperationalError, OperationalError)
        self._compiled: dict[tuple[Executable, tuple[str, ...]], tuple[str, list] | None] = {}
        self._connection: Any = None

    def prepare(self, statement: Executable, params: dict[str, Any]) -> tuple[str, tuple] | None:
        """The SQL and its positional arguments, converted as SQLAlchemy would; None
        when the statement needs values ``params`` does not give (a column default,
        a literal in a WHERE): SQLAlchemy's own execution supplies those."""
        keys = tuple(params)
        # Keyed by the statement itself (not its id, which a new one could reuse);
        # callers build theirs once, so the cache stays a handful of entries.
        key = (statement, keys)
        if key not in self._compiled:
            if len(self._compiled) >= 64:
                self._compiled.clear()
            self._compiled[key] = self._compile(statement, keys)
        if self._compiled[key] is None:
            return None
        sql, steps = self._compiled[key]
        return sql, tuple(
            convert(params[name]) if convert else params[name] for name, convert in steps
        )

    def _compile(self, statement: Executable, keys: tuple[str, ...]) -> tuple[str, list] | None:
        dialect = self.engine.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        names = compiled.positiontup or []
        if not set(names) <= set(keys):
            return None
        steps = [(name, compiled.binds[name].type.bind_processor(dialect)) for name in names]
        return compiled.string, steps

    def run(self, sql: str, args: tuple) -> int:
        if self._connection is None:
            # Through the engine, so the connection gets the same pragmas; kept out of
            # the pool, as it stays in autocommit mode.
            proxy = self.engine.raw_connection()
            proxy.detach()
            self._connection = proxy.dbapi_connection
            self._connection.isolation_level = None
            # Our own wait for another process's write (below), not SQLite's.
            self._connection.execute("PRAGMA busy_timeout = 0")
        deadline = None
        while True:
            try:
                return self._connection.execute(sql, args).rowcount
            except self.unreachable as error:
                if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
                    # Another process (a tagger storing a batch) holds SQLite's one write
                    # lock for a millisecond or so. SQLite's own busy handler sleeps 1, 2,
                    # 5, 10... ms per try, and every request thread of this process
                    # queues behind this one meanwhile; look again every 0.1 ms instead.
                    now = time.monotonic()
                    deadline = deadline or now + BUSY_TIMEOUT
                    if now < deadline:
                        time.sleep(BUSY_RETRY)
                        continue
                self._connection.close()  # a fresh one next time
                self._connection = None
                raise


def _changed(result: CursorResult) -> int:
    """Rows a statement changed: those it returned, if it has RETURNING."""
    return len(result.all()) if result.returns_rows else result.rowcount


def connect(settings: Settings, *, migrate: bool = True) -> Database:
    """The database of ``settings``, reachable and migrated, or DatabaseUnavailableError."""
    database = Database(make_engine(settings.db_url, home=settings.home))
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise DatabaseUnavailableError(_describe(database.engine, error)) from None
    database.file_problem()  # remembers which file it opened
    if migrate:
        upgrade(database.engine)
    return database


def make_engine(url: str, *, home: Path | None = None) -> Engine:
    if url.startswith("sqlite"):
        if home is not None:
            home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_pre_ping: a connection dropped while the database restarted is replaced, not used.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; safe from several processes)."""
    from alembic import command

    with _upgrade_lock, engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@functools.cache
def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one process writes; NORMAL syncing is safe in WAL mode
    # and makes an insert several times cheaper.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _describe(engine: Engine, error: Exception) -> str:
    reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
    where = engine.url.render_as_string(hide_password=True)
    return f"Cannot reach the database at {where}: {reason}. Check DATABASE_URL."
