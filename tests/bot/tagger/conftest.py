"""Every tagger a test here makes is stopped when the test ends, its last statuses
written, before the test's database is dropped: a writer left running would retry a
dropped database for the rest of the run."""

from __future__ import annotations

import pytest

from bot.tagger import Tagger


@pytest.fixture(autouse=True)
def stop_taggers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    if "database" in request.fixturenames:
        request.getfixturevalue("database")  # set up first, so dropped after the stop below
    made: list[Tagger] = []
    original = Tagger.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Tagger, "__init__", recording_init)
    yield
    for tagger in made:
        tagger.stop(wait=5.0)
