"""The active model's classifier follows the registry (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set)."""

from __future__ import annotations

import pytest

from tests.training.storage.test_registry import _register
from training.classifiers.base import TextClassifier
from training.classifiers.loading import ActiveClassifier
from training.errors import NoModelError
from training.storage.database import Database, make_engine
from training.storage.registry import ModelRegistry

pytestmark = pytest.mark.unit


@pytest.fixture
def registry(database) -> ModelRegistry:
    return ModelRegistry(database)


class _Named(TextClassifier):
    def __init__(self, model_id: str) -> None:
        self.model_id = model_id


def test_active_classifier_follows_a_promotion_by_another_process(
    registry: ModelRegistry, database, settings
) -> None:
    _register(registry, "m1")
    _register(registry, "m2")
    registry.promote("m1")
    loads = []

    def loader(info, _settings):
        loads.append(info.id)
        return _Named(info.id)

    active = ActiveClassifier(registry, settings, refresh_seconds=0.0, loader=loader)
    assert active.get().model_id == "m1"
    assert active.get().model_id == "m1"
    other_process = Database(make_engine(database.engine.url.render_as_string(False)))
    ModelRegistry(other_process).promote("m2")
    assert active.get().model_id == "m2"
    assert loads == ["m1", "m2"]


def test_active_classifier_without_a_model_says_how_to_get_one(registry, settings) -> None:
    with pytest.raises(NoModelError, match="sportbot train"):
        ActiveClassifier(registry, settings).get()
