"""The prompted classifier (backend ``openai-prompt``) against the OpenAI stand-in:
what it sends, how it reads the answer, the bank's version, the cache, the daily cap.

The stand-in answers by its keyword rule (hockey words: hockey, else baseball), so
these tests check shapes and arithmetic, never how well a real model would do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from training.classifiers import example_bank, prompted
from training.config import PromptSettings
from training.errors import (
    DailyCapError,
    OpenAIAuthError,
    OpenAINotFoundError,
    OpenAIRateLimitError,
    OpenAIUnreachableError,
)
from training.storage.spend import SpendLedger

pytestmark = pytest.mark.unit

EXAMPLES = [
    ("The goalie stopped the puck in overtime", "hockey"),
    ("A slapshot from the blue line on the power play", "hockey"),
    ("The pitcher threw a curveball for strike three", "baseball"),
    ("Home run in the bottom of the ninth inning", "baseball"),
    ("The deploy is blocked until the tests pass", "other"),
    ("Lunch order for the team offsite on Friday", "other"),
]


@pytest.fixture(scope="module")
def bank() -> example_bank.ExampleBank:
    texts, labels = zip(*EXAMPLES, strict=True)
    return example_bank.build_bank(list(texts), list(labels))


def model(openai_api, bank, name: str = "gpt-4.1-mini", **prompt: object) -> prompted.PromptedModel:
    return prompted.PromptedModel(
        name,
        bank,
        settings=openai_api.settings(),
        prompt=PromptSettings(**({"examples": 3} | prompt)),
    )


def chat_requests(openai_api) -> list:
    return openai_api.requests_to("/v1/chat/completions", "POST")


def test_a_logprobs_model_gets_the_instruction_the_nearest_examples_and_one_token(
    openai_api, bank
) -> None:
    prediction = model(openai_api, bank).classify("Who is the goalie of the Oilers tonight?")

    [request] = chat_requests(openai_api)
    body = request.json
    assert body["model"] == "gpt-4.1-mini"
    assert body["temperature"] == 0
    assert body["max_completion_tokens"] == 1
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 5
    assert "response_format" not in body
    assert "reasoning_effort" not in body
    messages = body["messages"]
    assert messages[0] == {"role": "system", "content": example_bank.INSTRUCTION}
    turns = messages[1:-1]
    assert len(turns) == 6  # k=3 examples, each a user turn and the assistant's label
    assert [m["role"] for m in turns] == ["user", "assistant"] * 3
    assert {m["content"] for m in turns[1::2]} <= {"baseball", "hockey", "other"}
    # Nearest last: the goalie example shares the most with the text.
    assert turns[-2]["content"] == "The goalie stopped the puck in overtime"
    assert messages[-1] == {"role": "user", "content": "Who is the goalie of the Oilers tonight?"}
    assert prediction.label == "hockey"
    assert prediction.confidence > 0.9  # the stand-in's top logprob, read as a fine-tune's
    assert prediction.model == f"prompt:gpt-4.1-mini:{bank.version[:12]}"


def test_a_reasoning_model_gets_a_strict_schema_and_no_sampling_parameters(
    openai_api, bank
) -> None:
    prediction = model(openai_api, bank, "o4-mini").classify("the puck crossed the line")

    body = chat_requests(openai_api)[0].json
    assert not {"temperature", "logprobs", "top_logprobs", "max_tokens"} & set(body)
    assert body["reasoning_effort"] == "low"
    assert body["messages"][0]["role"] == "developer"
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert schema["strict"] is True
    assert schema["schema"]["properties"]["label"]["enum"] == ["baseball", "hockey", "other"]
    # Examples answer in the schema's own shape.
    assert json.loads(body["messages"][2]["content"])["certainty"] == "high"
    # The stated rule: a "high" answer is 0.9, the other labels share the rest.
    assert prediction.label == "hockey"
    assert prediction.confidence == pytest.approx(0.9)
    assert prediction.probabilities["other"] == pytest.approx(0.05)


def test_stated_probabilities_follow_the_rule_and_say_nothing_for_a_bad_answer() -> None:
    labels = ["baseball", "hockey", "other"]
    answer = json.dumps({"label": "other", "certainty": "medium"})
    assert prompted.stated_probabilities(answer, labels) == pytest.approx(
        {"baseball": 0.15, "hockey": 0.15, "other": 0.7}
    )
    for bad in ("not json", json.dumps({"label": "soccer", "certainty": "high"})):
        assert list(prompted.stated_probabilities(bad, labels).values()) == [1 / 3] * 3


def test_the_bank_version_is_its_content(bank, tmp_path) -> None:
    texts, labels = zip(*EXAMPLES, strict=True)
    reordered = example_bank.build_bank(list(reversed(texts)), list(reversed(labels)))
    assert reordered.version == bank.version  # same examples, whatever the order
    relabelled = example_bank.build_bank(list(texts), ["other", *labels[1:]])
    assert relabelled.version != bank.version
    grown = example_bank.build_bank([*texts, "Bedard scored twice"], [*labels, "hockey"])
    assert grown.version != bank.version

    path = example_bank.save_bank(bank, tmp_path)
    loaded = example_bank.load_bank(path, example_bank._sha256(path))
    assert loaded.version == bank.version
    assert loaded.texts == bank.texts
    assert loaded.labels == bank.labels
    document = json.loads(path.read_text())
    assert document["selection"] == bank.rule
    assert document["instruction"] == example_bank.INSTRUCTION
    document["examples"][0][0] = "other"
    path.write_text(json.dumps(document))
    with pytest.raises(Exception, match="changed since it was registered"):
        example_bank.load_bank(path, "0" * 64)
    with pytest.raises(Exception, match="does not match its version"):
        example_bank.load_bank(path)


def test_identical_texts_are_answered_from_a_bounded_cache(openai_api, bank) -> None:
    classifier = model(openai_api, bank, cache_size=1)
    first = classifier.classify("the goalie was pulled")
    again = classifier.classify("the goalie was pulled")
    assert len(chat_requests(openai_api)) == 1
    assert again == first
    classifier.classify("a home run")  # pushes the first text out (size 1)
    classifier.classify("the goalie was pulled")
    assert len(chat_requests(openai_api)) == 3


def test_the_daily_cap_stops_requests_once_the_days_spend_reaches_it(
    openai_api, bank, database
) -> None:
    day = datetime(2026, 12, 2, 9, tzinfo=UTC)
    ledger = SpendLedger(database, cap=0.0001, clock=lambda: day)
    classifier = model(openai_api, bank)
    classifier.ledger = ledger
    classifier.classify("the goalie was pulled")
    spent = ledger.spent_today()
    # The stand-in's usage, priced as gpt-4.1-mini (0.40 in / 1.60 out per million).
    usage = openai_api_usage(openai_api)
    assert spent == pytest.approx((usage["prompt_tokens"] * 0.4 + 1 * 1.6) / 1e6)
    while ledger.spent_today() < ledger.cap:
        ledger.add(0.00005)  # other processes spending
    with pytest.raises(DailyCapError, match="SPORTBOT_COST_CAP_USD"):
        classifier.classify("a different text")
    assert len(chat_requests(openai_api)) == 1  # refused before asking
    assert ledger.claim_warning() is True
    assert ledger.claim_warning() is False  # told once a day, across processes
    tomorrow = SpendLedger(database, cap=0.0001, clock=lambda: day.replace(day=3))
    assert tomorrow.spent_today() == 0.0


def openai_api_usage(openai_api) -> dict:
    request = chat_requests(openai_api)[-1].json
    tokens = sum(max(1, len(m["content"]) // 4) + 4 for m in request["messages"]) + 3
    return {"prompt_tokens": tokens}


def test_openai_failures_are_one_actionable_line(openai_api, bank) -> None:
    classifier = model(openai_api, bank)
    openai_api.fail_next(401)
    with pytest.raises(OpenAIAuthError, match="OPENAI_API_KEY"):
        classifier.classify("a puck")
    openai_api.fail_next(404, code="model_not_found")
    with pytest.raises(OpenAINotFoundError, match="SPORTBOT_PROMPT_MODEL") as gone:
        classifier.classify("a bat")
    assert gone.value.code == "model_not_found"
    assert "sk-standin" not in str(gone.value)
    openai_api.fail_next(429)
    with pytest.raises(OpenAIRateLimitError, match="wait a minute"):
        classifier.classify("a stick")
    closed = prompted.PromptedModel(
        "gpt-4.1-mini", bank, settings=openai_api.settings(base_url="http://127.0.0.1:9/v1")
    )
    with pytest.raises(OpenAIUnreachableError, match="OPENAI_BASE_URL"):
        closed.classify("a glove")


def test_the_cost_estimate_prices_the_exact_prompt(openai_api, bank) -> None:
    classifier = model(openai_api, bank)
    estimate = classifier.estimate(["the goalie was pulled"])
    assert estimate.tokens_per_message == classifier.prompt_tokens("the goalie was pulled")
    assert estimate.usd_per_message == pytest.approx(
        (estimate.tokens_per_message * 0.40 + 1.60) / 1e6
    )
    assert estimate.usd_per_1000 == pytest.approx(estimate.usd_per_message * 1000)
    assert not chat_requests(openai_api)  # estimating asks nothing
    unpriced = model(openai_api, bank, "gpt-9-preview").estimate(["x"])
    assert unpriced.usd_per_message is None
    assert "SPORTBOT_PROMPT_PRICE_PER_MTOK" in unpriced.line()


def test_prices_and_backend_come_from_the_environment() -> None:
    from training.config import Settings
    from training.errors import ConfigError

    settings = Settings.from_env(
        {
            "SPORTBOT_BACKEND": "openai-prompt",
            "SPORTBOT_PROMPT_MODEL": "gpt-4.1-nano",
            "SPORTBOT_PROMPT_PRICE_PER_MTOK": "0.5/2,o4-mini=1/4",
        }
    )
    assert settings.training.backend == "openai-prompt"
    assert settings.prompt.price("gpt-4.1-nano-2025-04-14") == (0.5, 2.0)
    assert settings.prompt.price("o4-mini") == (1.0, 4.0)
    assert settings.prompt.price("gpt-4.1-mini") == (0.40, 1.60)
    assert Settings.from_env({}).training.backend is None
    with pytest.raises(ConfigError, match="SPORTBOT_PROMPT_PRICE_PER_MTOK"):
        Settings.from_env({"SPORTBOT_PROMPT_PRICE_PER_MTOK": "cheap"})
    with pytest.raises(ConfigError, match="SPORTBOT_BACKEND"):
        Settings.from_env({"SPORTBOT_BACKEND": "gpt"})


def test_a_loaded_bank_classifies_without_pandas_or_scikit_learn(
    openai_api, bank, tmp_path
) -> None:
    """What a web process imports when a prompted model is active (pandas ~50 MB,
    scikit-learn ~140 MB): neither, as with the local model's scoring arrays."""
    import subprocess
    import sys
    from pathlib import Path

    path = example_bank.save_bank(bank, tmp_path)
    code = (
        "import sys\n"
        "from training.classifiers import example_bank, prompted\n"
        "from training.config import OpenAISettings\n"
        f"bank = example_bank.load_bank({str(path)!r})\n"
        "settings = OpenAISettings(api_key='sk-standin-test-Q7zX', "
        f"base_url={openai_api.base_url!r}, max_retries=0)\n"
        "model = prompted.PromptedModel('gpt-4.1-mini', bank, settings=settings)\n"
        "print(model.classify('the goalie stopped the puck').label)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'sklearn', 'scipy'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split("\n")[:2] == ["hockey", "[]"]
