"""Fixtures of the listener unit tier: stand-ins from ``stubs``, settings built in place."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt import BoltContext

from tests.bot.listeners.stubs import Calls, Recorder, hockey_answer
from training.config import Settings, SlackSettings
from training.states import Backend
from training.storage.tags import WeeklyCounts


@pytest.fixture
def ack() -> Calls:
    return Calls()


@pytest.fixture
def respond() -> Calls:
    return Calls()


@pytest.fixture
def client() -> Recorder:
    return Recorder()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path, slack=SlackSettings(report_channel="CREPORT"))


@pytest.fixture
def models() -> Recorder:
    # A model source without OpenAI's extras (problem, cost_line), as a local one.
    return Recorder(
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
        "models": Recorder(runs=[], active_info=None),
        "tags": Recorder(weekly_counts=WeeklyCounts(tagged=3, corrected=1, examples=2)),
        "admins": Recorder(is_admin=True),
        "teaching": Recorder(recent=[]),
        "home_chart": Recorder(file_id=None),
    }
