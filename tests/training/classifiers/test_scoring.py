"""The numpy-only scoring path: same features and answers as the LocalModel it comes from."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction import FeatureHasher

from tests.training.classifiers.test_local_model import _SMALL, _post, _refitless, _synthetic
from training.classifiers.loading import load_classifier
from training.classifiers.local import artifacts
from training.classifiers.local.estimator import LocalModel
from training.classifiers.scoring import files, hashing, posts
from training.classifiers.scoring.files import file_sha256
from training.classifiers.scoring.scorer import ScoredModel
from training.errors import ClassifyError, ModelFileError
from training.storage.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[3]
# Text as Slack and news posts bring it: any letters, accents, emoji, odd spaces.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from(" \t\n\u00a0\u2003éüﬁ"),
    max_size=80,
)


@pytest.fixture(scope="module")
def model() -> LocalModel:
    texts, labels = _synthetic()
    texts += [_post("Re: trade talk", "pitcher inning"), _post("trade talk", "bullpen")]
    return LocalModel(**_SMALL).fit(texts, [*labels, "baseball", "baseball"])


@pytest.fixture(scope="module")
def scored_module(model: LocalModel, tmp_path_factory) -> ScoredModel:
    """The model as the Slack app's processes load it, once for the module."""
    path = files.scorer_path(artifacts.save(model, tmp_path_factory.mktemp("scorer")))
    return files.load(path, file_sha256(path))


@pytest.fixture
def saved(model: LocalModel, tmp_path: Path) -> tuple[Path, str]:
    """(scorer file, its sha256) as ``artifacts.save`` writes them."""
    path = files.scorer_path(artifacts.save(model, tmp_path))
    return path, file_sha256(path)


# ----- features, step by step against scikit-learn -----------------------------


@pytest.mark.unit
@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_analyzers_make_scikit_learns_tokens(model: LocalModel, text: str) -> None:
    words, chars = (v for _, v in model.pipeline_.named_steps["features"].transformer_list)
    pattern = re.compile(words.token_pattern)
    assert hashing.word_ngrams(text, pattern, words.ngram_range) == words.build_analyzer()(text)
    assert hashing.char_wb_ngrams(text, chars.ngram_range) == chars.build_analyzer()(text)


@pytest.mark.unit
@settings(max_examples=200, deadline=None)
@given(token=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12))
def test_hash_column_is_feature_hashers(token: str) -> None:
    hashed = FeatureHasher(2**12, input_type="string", alternate_sign=False).transform([[token]])
    assert hashed.indices.tolist() == [hashing.hash_column(token, 2**12)]


@pytest.mark.unit
def test_strip_headers_keeps_subject_and_chat() -> None:
    post = "From: a@b.edu\nSubject: Re: Leafs win\nLines: 3\n\nGreat game."
    assert posts.strip_headers(post) == "Leafs win\n\nGreat game."
    assert posts.strip_headers("From: the kitchen: free bagels") == (
        "From: the kitchen: free bagels"
    )


@pytest.mark.unit
def test_thread_of_is_a_posts_subject_without_re() -> None:
    post = "From: a@b.edu\nSubject: Re: RE:  Jack   Morris\nLines: 3\n\nHe won."
    assert posts.thread_of(post) == "jack morris"
    assert posts.thread_of("From: the kitchen: free bagels") is None  # chat: no header block
    assert posts.thread_of("From: a@b.edu\nLines: 3\n\nno subject") is None


# ----- the scorer file --------------------------------------------------------------


PROBES = [
    "pitcher threw a strikeout in the ninth inning",
    "Le gardien a arrêté le puck! 🏒",
    "deploy after lunch meeting",
    _post("Re: trade talk", "goalie puck"),  # a known thread: its prior applies
    _post("Unknown", "pitcher"),
    "x" * 3000,
]


@pytest.mark.unit
def test_scorer_file_answers_as_the_model(model: LocalModel, saved: tuple[Path, str]) -> None:
    scored = files.load(*saved)
    np.testing.assert_allclose(
        scored.predict_proba(PROBES), model._full_proba(PROBES), rtol=0, atol=1e-9
    )
    prediction = scored.classify("the goalie stopped the puck")
    assert prediction.model == model.model_id
    assert prediction == model.classify("the goalie stopped the puck")
    assert list(scored.classes_) == list(model.classes_)


@pytest.mark.unit
def test_a_format_1_scorer_file_loads_and_scores_as_before(
    model: LocalModel, tmp_path: Path
) -> None:
    """Scorer files written before the short-text stages (format 1: no short kind
    column, no embedding arrays) keep working after an upgrade."""
    old = _refitless(model, embedding_weight=0.0, short_sharpness=1.0)
    old.short_kind_model_ = None
    old.embedding_coef_, old.embedding_intercept_ = np.zeros((0, 256)), np.zeros(0)
    path = tmp_path / "old.scorer.npz"
    files.save(old.scorer(), path)
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files if not name.startswith("embedding")}
    config = json.loads(str(arrays.pop("config")))
    config["format"] = 1
    for key in ("has_short_kind_stage", "embedding_weight", "short_sharpness"):
        del config[key]
    np.savez_compressed(path, config=np.array(json.dumps(config)), **arrays)
    loaded = files.load(path, file_sha256(path))
    np.testing.assert_allclose(loaded.predict_proba(PROBES), old._full_proba(PROBES), atol=1e-12)
    assert not np.allclose(loaded.predict_proba(PROBES), model.predict_proba(PROBES))


@pytest.mark.unit
def test_loading_the_scorer_imports_no_scikit_learn(saved: tuple[Path, str]) -> None:
    """What the tagger process saves: scikit-learn and scipy cost ~140 MB once imported."""
    path, sha = saved
    code = (
        "import sys\n"
        "from training.classifiers.scoring import files\n"
        f"model = files.load({str(path)!r}, {sha!r})\n"
        "print(model.classify('the goalie stopped the puck').label)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'skops'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == ["hockey", "[]"]


@pytest.mark.unit
def test_changed_scorer_file_is_refused(saved: tuple[Path, str]) -> None:
    path, sha = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="changed or swapped"):
        files.load(path, sha)
    with pytest.raises(ModelFileError, match="does not exist"):
        files.load(path.with_name("missing.scorer.npz"), sha)


@pytest.mark.unit
def test_a_file_of_pickled_objects_is_refused_without_running_them(tmp_path: Path) -> None:
    """Even with its hash recorded: arrays of Python objects need pickle, which is off."""
    path = tmp_path / "evil.scorer.npz"
    np.savez(path, config=np.array([{"format": 1}], dtype=object))
    with pytest.raises(ModelFileError, match="unreadable"):
        files.load(path, file_sha256(path))


@pytest.mark.unit
def test_registry_loads_the_scorer_for_lean_processes(
    model: LocalModel, saved: tuple[Path, str], database, settings
) -> None:
    path, sha = saved
    artifact = path.with_name(f"{model.model_id}.skops")
    registry = ModelRegistry(database)
    fields = {"backend": "local", "labels": list(model.classes_), "artifact_path": str(artifact)}
    with_scorer = registry.register(id="with", scorer_sha256=sha, **fields)
    older = registry.register(id="older", **fields)  # saved before scorer files existed
    assert isinstance(load_classifier(with_scorer, settings, lean=True), ScoredModel)
    assert isinstance(load_classifier(with_scorer, settings), LocalModel)
    assert isinstance(load_classifier(older, settings, lean=True), LocalModel)


@pytest.mark.unit
def test_a_lone_surrogate_is_an_error_or_an_answer_never_a_crash(
    model: LocalModel, saved: tuple[Path, str]
) -> None:
    """JSON's "\\ud800" escapes make str no UTF-8 encoder takes; mmh3 5.3 crashed the
    interpreter on one. Hashing raises as scikit-learn's does; classifying replaces it."""
    with pytest.raises(UnicodeEncodeError):
        hashing.hash_column("a\ud800", 2**12)
    text = "the goalie \ud800 stopped the puck"
    scored = files.load(*saved)
    assert scored.classify(text) == model.classify(text)
    assert model.classify(text).label in model.classes_


@pytest.mark.unit
@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(
        st.text(st.characters() | st.sampled_from(["\ud800", "\udfff", "\x00"]), max_size=200),
        st.text(st.characters(max_codepoint=0x20), max_size=50),
        st.builds(lambda s: s * 5000, st.text(min_size=1, max_size=8)),  # up to 40k chars
    )
)
def test_the_scorer_answers_any_text_or_calls_it_empty(
    model: LocalModel, scored_module: ScoredModel, text: str
) -> None:
    if not text.replace("\x00", " ").strip():
        with pytest.raises(ClassifyError, match="empty"):
            scored_module.classify(text)
        return
    prediction = scored_module.classify(text)
    assert prediction.label in model.classes_
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
