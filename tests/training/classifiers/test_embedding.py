"""Token embeddings from the wordllama wheel: read by path, offline, never downloaded."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest

from training.classifiers import embedding
from training.classifiers.embedding import TokenEmbeddings
from training.errors import ModelFileError

pytestmark = pytest.mark.unit


def test_embeddings_load_and_embed_with_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the model needs is inside the installed package: nothing connects anywhere,
    and wordllama's own loader (which would try a download) is never imported."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("embedding tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delitem(sys.modules, "wordllama", raising=False)
    loaded = TokenEmbeddings(embedding.package_folder())
    vectors = loaded.embed(["the goalie stopped 40 shots", "", "standup moved to 3pm"])
    assert vectors.shape == (3, embedding.DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0)
    assert not vectors[1].any()  # no tokens, no direction
    assert "wordllama" not in sys.modules


def test_related_words_are_closer_than_unrelated_ones() -> None:
    """The vectors carry meaning: what the local model blends them in for."""
    goalie, puck, invoice = TokenEmbeddings.shared().embed(["goalie", "hockey puck", "invoice"])
    assert goalie @ puck > goalie @ invoice


def test_shared_is_loaded_once() -> None:
    assert TokenEmbeddings.shared() is TokenEmbeddings.shared()


def test_a_missing_package_or_file_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    with pytest.raises(ModelFileError, match="reinstall"):
        TokenEmbeddings(tmp_path)
    monkeypatch.setattr(embedding.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelFileError, match="not installed"):
        embedding.package_folder()
