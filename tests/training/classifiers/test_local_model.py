"""The embedded local model: estimator contract, lean path, artifacts, inputs, quality."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from training import knowledge
from training.classifiers.base import LABELS, Prediction
from training.classifiers.embedding import TokenEmbeddings
from training.classifiers.local.artifacts import load, save
from training.classifiers.local.estimator import LocalModel
from training.classifiers.local.seeds import seed_examples
from training.classifiers.scoring.files import file_sha256
from training.data import label_of, load_newsgroups
from training.errors import ClassifyError, ModelFileError
from training.pipeline.train import fit_local_offline

CHAT = Path(__file__).resolve().parents[2] / "data" / "chat_messages.jsonl"
WALKTHROUGH = {
    "hockey": (
        "Thank you to the @Canes and all you amazing Caniacs that have been so supportive! "
        "You guys are some of the best fans in the NHL without a doubt! Really excited to "
        "start this new chapter in my career with the @DetroitRedWings !!"
    ),
    "baseball": "The Tampa Bay Rays have acquired Nelson Cruz from the Minnesota Twins "
    "(per @JeffPassan)",
}
_WORDS = {
    "baseball": ["pitcher", "inning", "homer", "bullpen", "shortstop", "umpire", "dugout"],
    "hockey": ["goalie", "puck", "rink", "slapshot", "faceoff", "icing", "defenseman", "powerplay"],
    "other": ["deploy", "lunch", "meeting", "invoice", "printer", "standup", "laptop", "coffee"],
}
# Small models keep the unit tests fast; the shape of the model is the same.
_SMALL = {"word_features": 2**12, "char_features": 2**12, "max_iter": 20}


def _synthetic(n_per_label: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in _WORDS.items():
        for _ in range(n_per_label):
            texts.append(" ".join(rng.choices(words, k=8)))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def tiny() -> LocalModel:
    return LocalModel(**_SMALL).fit(*_synthetic())


# ----- estimator contract ------------------------------------------------------


@pytest.mark.unit
def test_fit_predict_shapes_and_probabilities(tiny: LocalModel) -> None:
    texts, labels = _synthetic(5, seed=1)
    proba = tiny.predict_proba(texts)
    assert proba.shape == (len(texts), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(tiny.classes_) == sorted(LABELS)
    assert (tiny.predict(texts) == np.array(labels)).mean() > 0.9


@pytest.mark.unit
def test_composes_with_sklearn_tools() -> None:
    texts, labels = _synthetic()
    model = LocalModel(**_SMALL)
    assert clone(model).get_params() == model.get_params()
    assert model.set_params(alpha=1e-5).alpha == 1e-5
    # Without the shipped lists: each fold would learn thousands of examples again.
    scores = cross_val_score(model.set_params(knowledge=False), texts, labels, cv=3)
    assert scores.mean() > 0.9


@pytest.mark.unit
def test_classify_returns_prediction(tiny: LocalModel) -> None:
    prediction = tiny.classify("the goalie stopped the puck at the rink")
    assert isinstance(prediction, Prediction)
    assert prediction.label == "hockey"
    assert prediction.model == tiny.model_id
    assert tiny.model_id.startswith("local-")


@pytest.mark.unit
def test_lean_path_equals_full_path(tiny: LocalModel) -> None:
    texts = [
        "pitcher threw a strikeout in the ninth inning",
        "Le gardien a arrêté le puck! 🏒",
        "deploy after lunch meeting",
        "",
        "x" * 1500,
    ]
    full = tiny._full_proba(texts)
    lean = np.vstack([tiny._lean_proba(text) for text in texts])
    np.testing.assert_allclose(lean, full, rtol=0, atol=1e-9)


@pytest.mark.unit
def test_two_sport_labels_skip_the_sport_stage() -> None:
    texts, labels = _synthetic()
    sport = [i for i, label in enumerate(labels) if label != "other"]
    model = LocalModel(**_SMALL).fit([texts[i] for i in sport], [labels[i] for i in sport])
    assert model.sport_model_ is None
    assert list(model.classes_) == ["baseball", "hockey"]
    probe = ["goalie puck rink", "pitcher inning bullpen", ""]
    full = model._full_proba(probe)
    lean = np.vstack([model._lean_proba(text) for text in probe])
    np.testing.assert_allclose(lean, full, rtol=0, atol=1e-9)
    assert model.classify("the goalie stopped the puck").label == "hockey"


@pytest.mark.unit
def test_a_handful_of_examples_still_fits() -> None:
    """Too few examples to hold some out: stage A fits without a fitted offset."""
    model = LocalModel(**_SMALL).fit(["puck goalie", "inning pitcher", "lunch"], _LABELS3)
    assert model.sport_offsets_[1] == 0.0
    assert model.predict_proba(["puck"]).shape == (1, 3)


_LABELS3 = ["hockey", "baseball", "other"]


@pytest.mark.unit
def test_probabilities_compose_the_two_stages(tiny: LocalModel) -> None:
    """A short text: P(other) = 1 - P(sport), the sports share P(sport) as the short-text
    stage B says; then the embedding model's answer is blended in (weighted geometric
    mean) and the result sharpened."""
    text = "pitcher inning bullpen goalie"
    proba = tiny.predict_proba([text])[0]
    features = tiny.pipeline_.transform([text])
    offset = tiny.sport_offsets_[0]  # a short chat-like text
    p_sport = 1 / (1 + np.exp(-(tiny.sport_model_.decision_function(features)[0] + offset)))
    kind = tiny.short_kind_model_.predict_proba(features)[0]
    stages = np.array([p_sport * kind[0], p_sport * kind[1], 1 - p_sport])
    vector = TokenEmbeddings.shared().embed([text])[0]
    scores = tiny.embedding_coef_ @ vector + tiny.embedding_intercept_
    log_embedding = scores - np.log(np.exp(scores).sum())
    w, sharpness = tiny.embedding_weight, tiny.short_sharpness
    expected = np.exp(sharpness * ((1 - w) * np.log(stages) + w * log_embedding))
    np.testing.assert_allclose(proba, expected / expected.sum())


@pytest.mark.unit
def test_short_texts_have_stages_of_their_own(tiny: LocalModel) -> None:
    """Which sport a message is comes from a model fitted on short examples weighted
    up, not from the posts' model; the embedding model has one row per class."""
    assert tiny.short_kind_model_ is not tiny.kind_model_
    assert tiny.embedding_coef_.shape == (3, 256)
    assert tiny.metadata_["embeddings"] == "wordllama-l2_supercat_256"
    without = _refitless(tiny, embedding_weight=0.0, short_sharpness=1.0)
    text = ["puck goalie"]
    assert not np.allclose(without.predict_proba(text), tiny.predict_proba(text))


@pytest.mark.unit
def test_a_news_post_is_scored_by_the_post_model(tiny: LocalModel) -> None:
    """Posts (news headers, or 300+ characters) go through the NB-LR sport model and the
    long-text offset; chat through the SGD one: the two score on different scales."""
    post = "From: a@b.edu\nSubject: bullpen\nLines: 2\n\npitcher inning bullpen goalie"
    proba = tiny.predict_proba([post])[0]
    features = tiny.pipeline_.transform(["bullpen\n\npitcher inning bullpen goalie"])
    score = tiny.post_sport_model_.decision_function(features)[0] + tiny.sport_offsets_[1]
    p_sport = 1 / (1 + np.exp(-score))
    kind = tiny.kind_model_.predict_proba(features)[0]
    np.testing.assert_allclose(proba, [p_sport * kind[0], p_sport * kind[1], 1 - p_sport])
    assert tiny.post_sport_model_ is not tiny.sport_model_


def _refitless(model: LocalModel, **params: object) -> LocalModel:
    """A copy of the fitted ``model`` with other scoring parameters, not refitted."""
    copy = clone(model).set_params(**params)
    copy.__dict__.update({k: v for k, v in model.__dict__.items() if k.endswith("_")})
    return copy


def _post(subject: str, body: str) -> str:
    return f"From: fan@example.edu\nSubject: {subject}\nLines: 4\n\n{body}"


@pytest.fixture(scope="module")
def threaded() -> LocalModel:
    """The synthetic examples plus one thread, "trade talk", all baseball."""
    texts, labels = _synthetic()
    rng = random.Random(4)
    for n in range(6):
        words = " ".join(rng.choices(_WORDS["baseball"], k=8))
        texts.append(_post("Re: Trade talk" if n else "Trade talk", words))
        labels.append("baseball")
    return LocalModel(**_SMALL).fit(texts, labels)


@pytest.mark.unit
def test_a_reply_in_a_known_thread_leans_to_its_label(threaded: LocalModel) -> None:
    reply = _post("Re: Trade  TALK", "goalie puck rink pitcher")
    stranger = _post("Something else", "goalie puck rink pitcher")
    with_thread = threaded.predict_proba([reply])[0]
    without = _refitless(threaded, thread_weight=0.0)
    plain = without.predict_proba([reply])[0]
    column = {label: i for i, label in enumerate(threaded.classes_)}
    baseball, hockey, other = column["baseball"], column["hockey"], column["other"]
    # The thread's 6 baseball posts: add-one shares (7, 1, 1) / 9 multiply the odds.
    assert with_thread[baseball] / with_thread[hockey] == pytest.approx(
        7 * plain[baseball] / plain[hockey]
    )
    assert with_thread[baseball] / with_thread[other] == pytest.approx(
        7 * plain[baseball] / plain[other]
    )
    # A post from another thread, and any chat message, are scored as before.
    np.testing.assert_allclose(
        threaded.predict_proba([stranger])[0], without.predict_proba([stranger])[0]
    )
    np.testing.assert_allclose(
        threaded.predict_proba(["goalie puck rink"]), without.predict_proba(["goalie puck rink"])
    )


@pytest.mark.unit
def test_lean_path_equals_full_path_for_threaded_posts(threaded: LocalModel) -> None:
    texts = [_post("Re: trade talk", "goalie puck"), _post("Unknown", "pitcher"), "puck"]
    full = threaded._full_proba(texts)
    lean = np.vstack([threaded._lean_proba(text) for text in texts])
    np.testing.assert_allclose(lean, full, rtol=0, atol=1e-9)


@pytest.mark.unit
def test_seed_is_valid_and_disjoint_from_chat_test_set() -> None:
    texts, labels = seed_examples()
    assert set(labels) == set(LABELS)
    assert len(texts) >= 600
    chat = {json.loads(line)["text"].lower() for line in CHAT.read_text().splitlines() if line}
    assert not chat & {text.lower() for text in texts}


@pytest.mark.unit
def test_knowledge_is_learned_and_disjoint_from_chat_test_set() -> None:
    """Names the training texts never mention are known from the shipped lists, and
    none of the list-made messages is a line of the chat test set."""
    texts, labels = _synthetic()
    knowing = LocalModel(**_SMALL).fit(texts, labels)
    blind = LocalModel(**_SMALL, knowledge=False).fit(texts, labels)
    for name, label in (("Macklin Celebrini", "hockey"), ("Paul Skenes", "baseball")):
        column = list(knowing.classes_).index(label)
        assert knowing.classify(name).label == label
        assert knowing.predict_proba([name])[0][column] > blind.predict_proba([name])[0][column]
    assert blind.metadata_["n_knowledge_examples"] == 0
    assert knowing.metadata_["n_knowledge_examples"] > 5000
    assert knowing.model_id != blind.model_id  # other lists, other model
    known = {text.lower() for text in knowledge.examples()[0]}
    chat = {json.loads(line)["text"].lower() for line in CHAT.read_text().splitlines() if line}
    assert not chat & known


# ----- artifacts ---------------------------------------------------------------


@pytest.mark.unit
def test_save_load_round_trip(tiny: LocalModel, tmp_path: Path) -> None:
    path = save(tiny, tmp_path)
    loaded = load(path, expected_sha256=file_sha256(path))
    texts, _ = _synthetic(3, seed=2)
    np.testing.assert_allclose(loaded.predict_proba(texts), tiny.predict_proba(texts))
    assert loaded.metadata_ == tiny.metadata_
    assert loaded.model_id == tiny.model_id
    for key in ("data_sha256", "labels", "metrics", "created_at", "format_version"):
        assert key in loaded.metadata_
    assert "sklearn_version" in loaded.metadata_


@pytest.mark.unit
def test_a_version_3_artifact_loads_and_scores_as_before(
    threaded: LocalModel, tmp_path: Path
) -> None:
    """Models saved before thread memory keep working after an upgrade, unchanged."""
    old = _refitless(threaded)
    old.metadata_ = {**threaded.metadata_, "format_version": 3}
    for name in ("thread_weight", "thread_keys_", "thread_counts_"):
        del old.__dict__[name]
    path = tmp_path / f"{old.model_id}.skops"
    sio.dump(old, path)  # as sportbot saved it then: no scorer file
    loaded = load(path)
    assert loaded.thread_weight == 0.0
    reply = _post("Re: trade talk", "goalie puck rink pitcher")
    expected = _refitless(threaded, thread_weight=0.0)
    np.testing.assert_allclose(loaded.predict_proba([reply]), expected.predict_proba([reply]))
    assert not np.allclose(loaded.predict_proba([reply]), threaded.predict_proba([reply]))


@pytest.mark.unit
def test_a_version_4_artifact_loads_and_scores_short_texts_as_before(
    tiny: LocalModel, tmp_path: Path
) -> None:
    """Models saved before the short-text stages keep working after an upgrade: a
    message is scored by the posts' kind stage, with no embedding and no sharpening."""
    old = _refitless(tiny)
    old.metadata_ = {**tiny.metadata_, "format_version": 4}
    for name in (
        "short_kind_model_",
        "embedding_coef_",
        "embedding_intercept_",
        "knowledge",
        "embedding_weight",
        "embedding_C",
        "short_sharpness",
    ):
        del old.__dict__[name]
    path = tmp_path / f"{old.model_id}.skops"
    sio.dump(old, path)
    loaded = load(path)
    message = ["goalie pitcher rink"]
    features = tiny.pipeline_.transform(message)
    score = tiny.sport_model_.decision_function(features)[0] + tiny.sport_offsets_[0]
    p_sport = 1 / (1 + np.exp(-score))
    kind = tiny.kind_model_.predict_proba(features)[0]
    expected = [p_sport * kind[0], p_sport * kind[1], 1 - p_sport]
    np.testing.assert_allclose(loaded.predict_proba(message)[0], expected)
    np.testing.assert_allclose(loaded.scorer().proba(message[0]), expected)


@pytest.mark.unit
def test_flipped_byte_is_refused(tiny: LocalModel, tmp_path: Path) -> None:
    path = save(tiny, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="sha256"):
        load(path)


@pytest.mark.unit
def test_swapped_file_with_wrong_hash_is_refused(tiny: LocalModel, tmp_path: Path) -> None:
    first = save(tiny, tmp_path / "a")
    other = LocalModel(**_SMALL).fit(*_synthetic(seed=3))
    second = save(other, tmp_path / "b")
    with pytest.raises(ModelFileError, match="changed or swapped"):
        load(second, expected_sha256=file_sha256(first))


@pytest.mark.unit
def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.skops"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ModelFileError):
        load(path)
    with pytest.raises(ModelFileError, match="does not exist"):
        load(tmp_path / "missing.skops")


# ----- inputs ------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    "text",
    [
        "puck " * 200_000,  # 1 MB
        bytes(range(256)) * 4,
        "🏒⚾🔥🔥🔥",
        "```python\nfor i in range(3):\n    print(i)\n```",
        "Вратарь отбил шайбу в овертайме",
        "\x00\x01\x02 binary \xff\xfe",
    ],
)
def test_odd_inputs_get_an_answer(tiny: LocalModel, text: object) -> None:
    prediction = tiny.classify(text)
    assert prediction.label in LABELS
    assert 0.0 <= prediction.confidence <= 1.0


@pytest.mark.unit
@pytest.mark.parametrize("text", ["", "   \n\t", "\x00"])
def test_empty_text_raises_classify_error(tiny: LocalModel, text: str) -> None:
    with pytest.raises(ClassifyError):
        tiny.classify(text)


# ----- quality on the real data ------------------------------------------------


@pytest.fixture(scope="session")
def trained(news_source, tmp_path_factory) -> LocalModel:
    """The model `sportbot train` makes: collect, prepare, fit on the prepared train file."""
    return fit_local_offline(news_source, tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="session")
def news_test(news_source) -> tuple[list[str], np.ndarray]:
    test = load_newsgroups("test", None, source=news_source)
    return test["text"].tolist(), test["group"].map(label_of).to_numpy()


@pytest.mark.needs_data
def test_walkthrough_tweets(trained: LocalModel) -> None:
    for label, tweet in WALKTHROUGH.items():
        assert trained.classify(tweet).label == label


@pytest.mark.needs_data
def test_other_newsgroups_are_other(trained: LocalModel, news_test) -> None:
    texts, truth = news_test
    predicted = trained.predict(texts)
    other = truth == "other"
    assert other.sum() == 7532 - 796
    assert (predicted[other] == "other").mean() >= 0.97


@pytest.mark.needs_data
def test_short_chat_messages(trained: LocalModel) -> None:
    chat = [json.loads(line) for line in CHAT.read_text().splitlines() if line]
    hits = [trained.classify(row["text"]).label == row["label"] for row in chat]
    assert np.mean(hits) >= 0.95


@pytest.mark.needs_data
def test_sport_posts_accuracy_target(trained: LocalModel, news_test) -> None:
    """0.982 measured (benchmarks/local_model.py); 0.976 before the thread memory."""
    texts, truth = news_test
    sport = truth != "other"
    predicted = trained.predict([text for text, keep in zip(texts, sport, strict=True) if keep])
    assert (predicted == truth[sport]).mean() >= 0.98


REAL_MESSAGES = Path(__file__).resolve().parents[4] / "shared" / "data" / "real-messages-dev.jsonl"


@pytest.mark.needs_data
def test_real_messages_dev_split(trained: LocalModel) -> None:
    """Real messages people wrote (measuring only: never trained on). Measured with
    benchmarks/real_messages.py; these floors sit a little below it, to catch a
    regression, not to claim the figure."""
    if not REAL_MESSAGES.is_file():
        pytest.skip(f"no real messages at {REAL_MESSAGES}")
    rows = [json.loads(line) for line in REAL_MESSAGES.read_text("utf-8").splitlines() if line]
    predictions = trained.classify_batch([row["text"] for row in rows])
    truth = np.array([row["label"] for row in rows])
    label = np.array([p.label for p in predictions])
    reacted = np.array([p.label != "other" and p.confidence >= 0.8 for p in predictions])
    sport = truth != "other"
    assert (label == truth).mean() >= 0.86
    assert (reacted & (label == truth))[sport].mean() >= 0.58
    assert reacted[~sport].mean() <= 0.02


# ----- sample weights ------------------------------------------------------------


def _with_new_name(weight: float) -> LocalModel:
    """Synthetic data plus a name no other text has, in three hockey lines (weighing
    ``weight``) and three baseball lines (weighing 1)."""
    texts, labels = _synthetic()
    lines = ["zorblatski again tonight", "what a zorblatski game", "zorblatski!!"]
    texts += lines + lines
    labels += ["hockey"] * 3 + ["baseball"] * 3
    weights = [1.0] * (len(texts) - 6) + [weight] * 3 + [1.0] * 3
    return LocalModel(**_SMALL, knowledge=False).fit(texts, labels, sample_weight=weights)


@pytest.mark.unit
def test_sample_weight_makes_weighted_examples_count_for_more() -> None:
    even, heavy = _with_new_name(1.0), _with_new_name(20.0)
    columns = [list(even.classes_).index(label) for label in ("hockey", "baseball")]

    def lead_of_hockey(model: LocalModel) -> float:
        hockey, baseball = model.predict_proba(["zorblatski"])[0][columns]
        return float(hockey - baseball)

    assert lead_of_hockey(heavy) > lead_of_hockey(even) + 0.3
    assert heavy.classify("zorblatski").label == "hockey"
    assert heavy.model_id != even.model_id  # other weights, another model


@pytest.mark.unit
def test_unit_sample_weights_are_the_unweighted_model() -> None:
    texts, labels = _synthetic()
    plain = LocalModel(**_SMALL, knowledge=False).fit(texts, labels)
    ones = LocalModel(**_SMALL, knowledge=False).fit(texts, labels, sample_weight=[1] * len(texts))

    assert ones.model_id == plain.model_id
    np.testing.assert_allclose(ones.predict_proba(texts[:5]), plain.predict_proba(texts[:5]))


@pytest.mark.unit
@pytest.mark.parametrize("weights", [[1.0], [-1.0] * 90, [float("nan")] * 90])
def test_sample_weight_must_be_one_finite_weight_per_text(weights) -> None:
    with pytest.raises(ValueError, match="sample_weight"):
        LocalModel(**_SMALL, knowledge=False).fit(*_synthetic(), sample_weight=weights)
