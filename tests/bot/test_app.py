"""The wiring: one typed container of collaborators, handed to every listener by name."""

from __future__ import annotations

import dataclasses

import pytest

from bot.app import Services, build_app
from tests.bot.conftest import FakeClassifier
from training.config import SlackSettings
from training.storage.deliveries import DeliveryStore
from training.storage.tags import TagStore

pytestmark = pytest.mark.unit


def test_the_app_carries_its_collaborators_as_typed_fields(settings) -> None:
    settings = settings.with_changes(slack=SlackSettings(bot_token="xoxb-test"))
    app = build_app(settings, classifier=FakeClassifier())
    try:
        services = app.sportbot
        assert isinstance(services, Services)
        assert isinstance(services.tags, TagStore)
        assert isinstance(services.deliveries, DeliveryStore)
        assert services.as_kwargs() == {
            field.name: getattr(services, field.name) for field in dataclasses.fields(Services)
        }
        with pytest.raises(dataclasses.FrozenInstanceError):
            services.tags = None  # type: ignore[misc]
    finally:
        services.models.stop()
        services.tagger.stop()
