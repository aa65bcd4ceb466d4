"""The model registry on SQLite (and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import inspect

from training.errors import DatabaseUnavailableError, NoModelError, RegistryError
from training.storage.database import connect
from training.storage.registry import ModelRegistry

pytestmark = pytest.mark.unit


@pytest.fixture
def registry(database) -> ModelRegistry:
    return ModelRegistry(database)


def _register(registry: ModelRegistry, model_id: str, accuracy: float = 0.9):
    return registry.register(
        id=model_id,
        backend="local",
        labels=["baseball", "hockey", "other"],
        artifact_path=f"/nowhere/{model_id}.skops",
        metrics={"accuracy": accuracy},
    )


def test_connect_creates_every_table_through_migrations(database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {"models", "runs", "examples", "tags", "slack_events", "locks"} <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_tables_in_code(database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from training.storage.schema import Base

    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], (
        "schema.py changed without a migration: add one in training/storage/migrations"
    )


def test_connect_twice_is_idempotent(settings) -> None:
    connect(settings)
    ModelRegistry(connect(settings)).list()


def test_new_models_are_candidates_until_promoted(registry: ModelRegistry) -> None:
    info = _register(registry, "m1")
    assert info.status == "candidate"
    assert registry.active() is None
    assert registry.promote("m1").status == "active"
    assert registry.active().id == "m1"
    assert registry.active().accuracy == 0.9


def test_promotion_retires_the_previous_model(registry: ModelRegistry) -> None:
    _register(registry, "m1")
    _register(registry, "m2")
    registry.promote("m1")
    registry.promote("m2")
    statuses = {info.id: info.status for info in registry.list()}
    assert statuses == {"m1": "retired", "m2": "active"}


def test_promoting_an_unknown_model_names_it(registry: ModelRegistry) -> None:
    with pytest.raises(NoModelError, match="nope"):
        registry.promote("nope")


def test_duplicate_ids_are_refused(registry: ModelRegistry) -> None:
    _register(registry, "m1")
    with pytest.raises(RegistryError, match="already registered"):
        _register(registry, "m1")


def test_concurrent_promotions_leave_exactly_one_active(registry: ModelRegistry) -> None:
    ids = [f"m{i}" for i in range(6)]
    for model_id in ids:
        _register(registry, model_id)

    def promote(model_id: str) -> None:
        with contextlib.suppress(RegistryError):  # losing a race is reported, never two actives
            registry.promote(model_id)

    threads = [threading.Thread(target=promote, args=(model_id,)) for model_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [info.status for info in registry.list()].count("active") == 1


def test_unreachable_database_is_one_clear_error(settings) -> None:
    broken = settings.with_changes(database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailableError, match="DATABASE_URL") as error:
        connect(broken)
    assert "\n" not in str(error.value)
