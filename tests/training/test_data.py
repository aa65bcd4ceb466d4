"""The 20 Newsgroups loader gives exactly what scikit-learn's fetch_20newsgroups gives.

scikit-learn's own download code runs offline: its ``_fetch_remote`` is replaced
by a copy of the local archive into the folder it is given, so unpacking,
caching and both shuffles are scikit-learn's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from training.data import (
    OTHER_GROUPS,
    SPORT_GROUPS,
    Source,
    label_of,
    load_newsgroups,
    sport_prompts,
)
from training.errors import DataError


@pytest.fixture(scope="module")
def sklearn_offline(news_archive: Path, tmp_path_factory):
    """fetch_20newsgroups reading the local archive through its own download path."""
    import sklearn.datasets._twenty_newsgroups as twenty

    def fake_fetch(remote, dirname=None, **_kwargs) -> str:
        target = Path(dirname) / remote.filename
        shutil.copyfile(news_archive, target)
        return str(target)

    patch = pytest.MonkeyPatch()
    patch.setattr(twenty, "_fetch_remote", fake_fetch)
    patch.setenv("SCIKIT_LEARN_DATA", str(tmp_path_factory.mktemp("sklearn-data")))
    yield
    patch.undo()


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("subset", "groups"),
    [("train", SPORT_GROUPS), ("test", SPORT_GROUPS), ("train", OTHER_GROUPS)],
)
def test_local_loader_equals_sklearn(sklearn_offline, news_source, subset, groups) -> None:
    ours = load_newsgroups(subset, groups, source=news_source)
    theirs = load_newsgroups(subset, groups, source=Source())  # fetch_20newsgroups itself
    assert ours["group"].tolist() == theirs["group"].tolist()
    assert ours["text"].tolist() == theirs["text"].tolist()


@pytest.mark.needs_data
def test_walkthrough_numbers(news_source) -> None:
    sport2 = sport_prompts("train", source=news_source)
    assert len(sport2) == 1197
    assert sport2["completion"].value_counts().to_dict() == {"hockey": 600, "baseball": 597}
    first = sport2["prompt"].iloc[0]
    assert first.startswith("From: dougb@comm.mot.com (Doug Bank)")
    assert "Cleveland tickets" in first
    assert len(sport_prompts("test", source=news_source)) == 796


@pytest.mark.unit
def test_missing_archive_hints_at_the_variable(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="SPORTBOT_20NEWS"):
        load_newsgroups("train", source=Source(tmp_path / "absent.tar.gz", tmp_path))


@pytest.mark.unit
def test_labels() -> None:
    assert label_of("rec.sport.hockey") == "hockey"
    assert label_of("sci.space") == "other"
