"""Fresh PostgreSQL databases for tests, made from TEST_DATABASE_URL and dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text

from training.config.settings import _normalise_db_url


@contextlib.contextmanager
def fresh_database(url: str, prefix: str = "sportbot_test") -> Iterator[str]:
    """The URL of a new, empty database on ``url``'s server; dropped (forcibly) on exit."""
    admin_url = _normalise_db_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
