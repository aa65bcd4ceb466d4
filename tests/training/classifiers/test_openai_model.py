"""OpenAIModel through the real openai client against the local stand-in."""

from __future__ import annotations

import pytest

from tests.standins.openai_api import TEST_API_KEY
from training.classifiers.openai_model import (
    CHAT_SYSTEM_MESSAGE,
    OpenAIModel,
    openai_error,
    redact,
)
from training.config import DEFAULT_SEPARATOR, OpenAISettings
from training.errors import (
    ConfigError,
    OpenAIAuthError,
    OpenAIError,
    OpenAIRateLimitError,
    OpenAITimeoutError,
)
from training.openai_api.models import is_chat_model
from training.preparation.tokens import counter_for, example_limit

LEGACY = "ft:babbage-002:personal::8Xy1z2ab"
CHAT = "ft:gpt-4o-mini-2024-07-18:personal:sportbot:9Abc1234"
KEY = TEST_API_KEY

HOCKEY = "The goalie stopped the puck in overtime."
BASEBALL = "He hit a home run in the ninth inning."


def _model(openai_api, model_id: str = LEGACY, **settings) -> OpenAIModel:
    return OpenAIModel(model_id, settings=openai_api.settings(**settings))


# -- routing and pure helpers ---------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("model_id", "chat"),
    [
        ("babbage-002", False),
        ("davinci-002", False),
        (LEGACY, False),
        ("ft:davinci-002:org:suffix:abc", False),
        ("gpt-4o-mini", True),
        (CHAT, True),
        ("ft:gpt-3.5-turbo-0125:org::abc", True),
    ],
)
def test_api_follows_from_model_name(model_id: str, chat: bool) -> None:
    assert is_chat_model(model_id) is chat


@pytest.mark.unit
def test_missing_api_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIModel(LEGACY, settings=OpenAISettings())


@pytest.mark.unit
def test_redact_removes_keys_and_masked_keys() -> None:
    text = f"key {KEY} or sk-proj-****abcd or Bearer xyz"
    cleaned = redact(text, KEY)
    assert "sk-" not in cleaned
    assert "abcd" not in cleaned
    assert "xyz" not in cleaned


# -- completions ------------------------------------------------------------------------


@pytest.mark.e2e
def test_completion_request_shape(openai_api) -> None:
    prediction = _model(openai_api).classify(HOCKEY)
    assert prediction.label == "hockey"
    assert prediction.model == LEGACY
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    (request,) = openai_api.requests_to("/v1/completions")
    body = request.json
    assert body["model"] == LEGACY
    assert body["max_tokens"] == 1
    assert body["temperature"] == 0
    assert body["logprobs"] == 5
    assert body["prompt"] == [HOCKEY + DEFAULT_SEPARATOR]
    assert request.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.e2e
def test_batch_of_45_uses_3_requests(openai_api) -> None:
    texts = [HOCKEY if i % 3 else BASEBALL + f" #{i}" for i in range(45)]
    labels = _model(openai_api).predict(texts)
    requests = openai_api.requests_to("/v1/completions")
    assert [len(r.json["prompt"]) for r in requests] == [20, 20, 5]
    assert all(p.endswith(DEFAULT_SEPARATOR) for r in requests for p in r.json["prompt"])
    assert list(labels) == ["hockey" if i % 3 else "baseball" for i in range(45)]


@pytest.mark.e2e
def test_choices_out_of_order_are_matched_by_index(openai_api) -> None:
    openai_api.shuffle_choices = True
    texts = [BASEBALL, HOCKEY, BASEBALL, HOCKEY, HOCKEY]
    assert list(_model(openai_api).predict(texts)) == [
        "baseball",
        "hockey",
        "baseball",
        "hockey",
        "hockey",
    ]


@pytest.mark.e2e
def test_absent_class_gets_leftover_mass(openai_api) -> None:
    openai_api.scorer = lambda model, text: {" hockey": -0.2231, " Hockey": -3.0}  # 0.8 + 0.05
    prediction = _model(openai_api).classify("anything")
    assert prediction.label == "hockey"
    assert prediction.probabilities["baseball"] == pytest.approx(0.15, abs=1e-3)


@pytest.mark.e2e
def test_other_label_when_trained_with_it(openai_api) -> None:
    openai_api.scorer = lambda model, text: {" other": -0.1, " baseball": -3.0}
    model = OpenAIModel(
        LEGACY, settings=openai_api.settings(), labels=("baseball", "hockey", "other")
    )
    prediction = model.classify("Which compiler should I use?")
    assert prediction.label == "other"
    assert set(prediction.probabilities) == {"baseball", "hockey", "other"}


@pytest.mark.e2e
def test_long_text_is_cut_and_keeps_the_separator(openai_api) -> None:
    long_text = "The goalie stopped the puck again. " * 20_000  # ~160k tokens
    model = _model(openai_api)
    model.predict_proba([long_text])
    (prompt,) = openai_api.requests_to("/v1/completions")[0].json["prompt"]
    assert prompt.endswith(DEFAULT_SEPARATOR)
    assert prompt.startswith("The goalie")
    tokens = counter_for(LEGACY).count(prompt)
    assert example_limit(LEGACY) - 50 < tokens + 1 <= example_limit(LEGACY)


@pytest.mark.e2e
def test_base_url_from_environment(openai_api, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    model = OpenAIModel(LEGACY, settings=OpenAISettings(api_key=KEY, max_retries=0))
    assert model.classify(HOCKEY).label == "hockey"


# -- chat ------------------------------------------------------------------------------


@pytest.mark.e2e
def test_chat_request_shape(openai_api) -> None:
    prediction = _model(openai_api, CHAT).classify(HOCKEY)
    assert prediction.label == "hockey"
    (request,) = openai_api.requests_to("/v1/chat/completions")
    body = request.json
    assert body["messages"] == [
        {"role": "system", "content": CHAT_SYSTEM_MESSAGE},
        {"role": "user", "content": HOCKEY},
    ]
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 5
    assert body["temperature"] == 0
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 1
    assert openai_api.requests_to("/v1/completions") == []


@pytest.mark.e2e
def test_chat_batch_keeps_order(openai_api) -> None:
    texts = [HOCKEY, BASEBALL] * 5
    labels = _model(openai_api, CHAT).predict(texts)
    assert list(labels) == ["hockey", "baseball"] * 5
    assert len(openai_api.requests_to("/v1/chat/completions")) == 10


@pytest.mark.e2e
def test_chat_long_text_is_cut(openai_api) -> None:
    long_text = "puck " * 100_000
    _model(openai_api, CHAT).predict_proba([long_text])
    user = openai_api.requests_to("/v1/chat/completions")[0].json["messages"][1]["content"]
    assert counter_for(CHAT).count(user) < example_limit(CHAT)


# -- errors ----------------------------------------------------------------------------


def _assert_safe(error: Exception, model_id: str = LEGACY) -> None:
    message = str(error)
    assert model_id in message
    assert KEY not in message
    assert KEY[-4:] not in message  # not even the masked tail OpenAI echoes
    assert error.__cause__ is None


@pytest.mark.e2e
def test_401_names_model_and_hides_key(openai_api) -> None:
    openai_api.fail_next(401)
    with pytest.raises(OpenAIAuthError, match="refused the API key") as info:
        _model(openai_api).classify(HOCKEY)
    assert "OPENAI_API_KEY" in str(info.value)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_401_echoing_the_full_key_still_hides_it(openai_api) -> None:
    openai_api.fail_next(401, message=f"Incorrect API key provided: {KEY}.")
    with pytest.raises(OpenAIError) as info:
        _model(openai_api).classify(HOCKEY)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_404_model_not_found(openai_api) -> None:
    openai_api.fail_next(404)
    with pytest.raises(OpenAIError, match="check OPENAI_API_KEY and the model id") as info:
        _model(openai_api).classify(HOCKEY)
    assert "does not exist" in str(info.value)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_429_after_retries_is_rate_limit_error(openai_api) -> None:
    openai_api.fail_next(429, times=2, retry_after=0.01)
    with pytest.raises(OpenAIRateLimitError) as info:
        _model(openai_api, max_retries=1).classify(HOCKEY)
    assert len(openai_api.requests) == 2  # the client retried once, honouring Retry-After
    assert "after 1 retries" in str(info.value)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_429_once_is_retried_by_the_client(openai_api) -> None:
    openai_api.fail_next(429, retry_after=0.01)
    assert _model(openai_api, max_retries=1).classify(HOCKEY).label == "hockey"


@pytest.mark.e2e
def test_timeout(openai_api) -> None:
    openai_api.stall_next(2.0)
    with pytest.raises(OpenAITimeoutError, match="SPORTBOT_OPENAI_TIMEOUT") as info:
        _model(openai_api, timeout=0.2).classify(HOCKEY)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_500_names_status_and_openai_message(openai_api) -> None:
    openai_api.fail_next(500)
    with pytest.raises(OpenAIError, match="HTTP 500") as info:
        _model(openai_api).classify(HOCKEY)
    assert type(info.value) is OpenAIError
    assert "The server had an error" in str(info.value)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_chat_errors_are_mapped_too(openai_api) -> None:
    openai_api.fail_next(404)
    with pytest.raises(OpenAIError) as info:
        _model(openai_api, CHAT).classify(HOCKEY)
    _assert_safe(info.value, CHAT)


@pytest.mark.e2e
def test_connection_refused(openai_api) -> None:
    url = openai_api.base_url
    openai_api.stop()
    settings = OpenAISettings(api_key=KEY, base_url=url, timeout=1.0, max_retries=0)
    with pytest.raises(OpenAIError, match="Cannot reach OpenAI") as info:
        OpenAIModel(LEGACY, settings=settings).classify(HOCKEY)
    assert "OPENAI_BASE_URL" in str(info.value)
    _assert_safe(info.value)


@pytest.mark.e2e
def test_openai_error_is_reusable_for_other_calls(openai_api) -> None:
    # The retraining pipeline maps errors of file and job calls the same way.
    import openai

    openai_api.fail_next(500)
    settings = openai_api.settings()
    try:
        openai_api.client().files.retrieve("file-abc")
    except openai.OpenAIError as exc:
        error = openai_error(exc, "babbage-002", settings)
    assert "HTTP 500" in str(error)
    assert "babbage-002" in str(error)
