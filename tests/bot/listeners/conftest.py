"""Fixtures of the listener unit tier: stand-ins from ``stubs``, settings built in place."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.admins import AdminCheck
from bot.home_chart import HomeChart
from bot.model_source import ModelSource
from bot.teaching import Teaching
from tests.bot.listeners.stubs import Calls, Recorder, hockey_answer
from training.config import Settings, SlackSettings
from training.states import Backend
from training.storage.tags import TagStore, WeeklyCounts


@pytest.fixture
def ack() -> Calls:
    return Calls()


@pytest.fixture
def respond() -> Calls:
    return Calls()


@pytest.fixture
def client() -> Recorder:
    return Recorder(spec=WebClient)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path, slack=SlackSettings(report_channel="CREPORT"))


@pytest.fixture
def models() -> Recorder:
    # A model source without OpenAI's extras (problem, cost_line), as a local one.
    return Recorder(
        spec=ModelSource,
        absent=("problem", "cost_line"),
        current=(Backend.local, None),
        classify=hockey_answer,
        runs=[],
        active_info=None,
    )


@pytest.fixture
def context() -> BoltContext:
    return BoltContext({"team_id": "T1", "bot_user_id": "UBOT"})


@pytest.fixture
def home_collaborators() -> dict[str, Any]:
    """What publishing the Home tab needs; ``admins`` says yes."""
    return {
        "models": Recorder(spec=ModelSource, runs=[], active_info=None),
        "tags": Recorder(
            spec=TagStore, weekly_counts=WeeklyCounts(tagged=3, corrected=1, examples=2)
        ),
        "admins": Recorder(spec=AdminCheck, is_admin=True),
        "teaching": Recorder(spec=Teaching, recent=[]),
        "home_chart": Recorder(spec=HomeChart, file_id=None),
    }
