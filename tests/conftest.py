"""Fixtures shared by every test tier.

Tiers are markers (see pyproject.toml): ``unit``, ``e2e``, ``needs_data``,
``needs_postgres``. No test reaches the internet: Slack and OpenAI are local
stand-ins on loopback, and the 20 Newsgroups archive comes from ../shared/data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from training.config import Settings
from training.data import Source

# The local stand-ins and their fixtures: ``openai_api`` (OpenAI) and ``slack_api`` (Slack).
pytest_plugins = ["tests.standins.openai_api", "tests.standins.slack_api"]

REPO = Path(__file__).resolve().parents[1]
SHARED_ARCHIVE = REPO.parent / "shared" / "data" / "20news-bydate.tar.gz"
# Extracting the archive takes seconds: keep one extraction for the whole run.
DATA_CACHE = Path(os.environ.get("SPORTBOT_TEST_CACHE", "/tmp/sportbot-test-cache"))
_ARCHIVE = Path(os.environ.get("SPORTBOT_20NEWS") or SHARED_ARCHIVE)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's Slack/OpenAI credentials, database, proxies or home."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "OPENAI_", "SPORTBOT_")) or name in {
            "DATABASE_URL",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPORTBOT_HOME", str(tmp_path / "home"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults in a fresh home: SQLite, local model, no Slack, no OpenAI."""
    return Settings(home=tmp_path / "home")


@pytest.fixture(scope="session")
def news_archive() -> Path:
    """The 20 Newsgroups archive; tests that need it skip when it is absent."""
    if not _ARCHIVE.exists():
        pytest.skip(f"20 Newsgroups archive not found at {_ARCHIVE}; set SPORTBOT_20NEWS to run")
    return _ARCHIVE


@pytest.fixture(scope="session")
def news_source(news_archive: Path) -> Source:
    return Source(news_archive, DATA_CACHE)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.needs_postgres)])
def database(request: pytest.FixtureRequest, settings: Settings):
    """A migrated database: SQLite in the test's home, and a fresh PostgreSQL database.

    Every test that uses it runs on SQLite, and again on PostgreSQL when
    TEST_DATABASE_URL is set (``.ci/run`` sets it), each in a database of its own.
    """
    from training.storage.database import connect

    if request.param == "sqlite":
        db = connect(settings)
        yield db
        db.engine.dispose()
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    yield from _postgres_database(settings, url)


def _postgres_database(settings: Settings, url: str):
    from tests.postgres import fresh_database
    from training.storage.database import connect

    with fresh_database(url) as db_url:
        db = connect(settings.with_changes(database_url=db_url))
        try:
            yield db
        finally:
            db.engine.dispose()
