"""A chat model asked with labelled examples: the ``openai-prompt`` backend.

OpenAI is closing self-serve fine-tuning; a current chat model, asked well, knows
today's players and slang. "Training" this backend builds an ``ExampleBank``
(``training.classifiers.example_bank``): every example a run learns from with
its label, the fixed instruction and the selection rule, versioned by a hash of
that content. Nothing is uploaded. What a request costs is
``training.classifiers.prompt_cost``.

Classifying a text is one chat request: the instruction, then the ``k``
labelled examples nearest to the text as user/assistant turns, then the text.
Nearest is the cosine of mean token embeddings (``embedding.TokenEmbeddings``,
the local model's own features for short texts, computed here: no embedding
API). The answer becomes class probabilities:

* models that return logprobs (gpt-4.1, gpt-4o...): one answer token at
  temperature 0 with its top logprobs, read by ``logprobs.class_probabilities``
  as a fine-tune's are;
* reasoning models (o-series, gpt-5 family), which refuse temperature and
  logprobs: a JSON answer constrained by a schema (the label an enum, with a
  certainty ``high|medium|low``), and the stated rule ``CERTAINTY``: the label
  gets 0.9 / 0.7 / 0.5, the other labels share the rest equally.

Which family a model belongs to is decided in one place, ``accepts_logprobs``.
Identical texts are answered from a bounded in-process cache (per process:
each web process and the tagger keep their own). A ``SpendLedger`` given to the
model checks the day's budget before a request and adds each request's cost.
Every request goes through ``training.openai_api.calls``; never imports ``bot``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from training.classifiers.base import LABELS, TextClassifier
from training.classifiers.example_bank import ExampleBank, prepared
from training.classifiers.logprobs import chat_top, class_probabilities
from training.classifiers.prompt_cost import CostEstimate, request_cost
from training.config import OpenAISettings, PromptSettings
from training.errors import OpenAIError
from training.openai_api.calls import build_client, translated
from training.preparation.tokens import base_model_of, counter_for

BACKEND = "openai-prompt"
TEXT_CHARS = 2_000
TOP_LOGPROBS = 5
WORKERS = 4
# Reasoning models think before answering: room for that, and little of it.
REASONING_MAX_TOKENS = 1_024
REASONING_EFFORT = "low"
REASONING_OUTPUT_TOKENS_ESTIMATE = 200
# The stated rule for a JSON answer: probability of the answered label by certainty.
CERTAINTY = {"high": 0.9, "medium": 0.7, "low": 0.5}
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
# Per message in the chat format (role markers), and the reply's priming.
_MESSAGE_OVERHEAD_TOKENS = 4
_REPLY_OVERHEAD_TOKENS = 3


def accepts_logprobs(model: str) -> bool:
    """True for chat models that take temperature and logprobs; False for reasoning
    models (o-series, gpt-5 family), which refuse both: the one place this is decided."""
    return not base_model_of(model).startswith(_REASONING_PREFIXES)


def answer_schema(labels: Sequence[str]) -> dict[str, Any]:
    """The ``response_format`` of a reasoning model's answer: a label from ``labels``."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "sport_label",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "label": {"type": "string", "enum": list(labels)},
                    "certainty": {"type": "string", "enum": list(CERTAINTY)},
                },
                "required": ["label", "certainty"],
                "additionalProperties": False,
            },
        },
    }


# ---------------------------------------------------------------- the classifier


class PromptedModel(TextClassifier):
    """A chat model asked with the bank's nearest examples; the ``TextClassifier`` face."""

    backend = BACKEND

    def __init__(
        self,
        model: str,
        bank: ExampleBank,
        *,
        settings: OpenAISettings | None = None,
        prompt: PromptSettings | None = None,
        client: Any = None,
        ledger: Any = None,
        model_id: str | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.model = model
        self.bank = bank
        self.prompt = prompt or PromptSettings()
        self.settings = settings or OpenAISettings()
        self.client = client or build_client(self.settings)
        self.ledger = ledger
        self.model_id = model_id or prompted_model_id(model, bank.version)
        self.classes_ = np.asarray(bank.label_set or list(LABELS))
        self.logprobs = accepts_logprobs(model)
        self.workers = max(1, workers)
        self._counter = counter_for(model)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- the classifier face ---------------------------------------------------------

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        if len(texts) == 1 or self.workers == 1:
            rows = [self._row(text) for text in texts]
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(texts))) as pool:
                rows = list(pool.map(self._row, texts))
        return np.vstack(rows)

    def close(self) -> None:
        self.client.close()

    # -- what is sent ----------------------------------------------------------------

    def messages_for(self, text: str) -> list[dict[str, str]]:
        """The instruction, the nearest examples as turns (nearest last), then the text."""
        from training.classifiers.embedding import TokenEmbeddings

        shown = prepared(text, TEXT_CHARS) or text[:TEXT_CHARS]
        vector = TokenEmbeddings.shared().embed([shown[: self.bank.example_chars]])[0]
        role = "system" if self.logprobs else "developer"
        messages = [{"role": role, "content": self.bank.instruction}]
        for i in reversed(self.bank.nearest(vector, self.prompt.examples)):
            messages.append({"role": "user", "content": self.bank.texts[i]})
            messages.append({"role": "assistant", "content": self._answer(self.bank.labels[i])})
        messages.append({"role": "user", "content": shown})
        return messages

    def request_for(self, text: str) -> dict[str, Any]:
        """The chat completion's parameters for ``text`` (by the model's family)."""
        request: dict[str, Any] = {"model": self.model, "messages": self.messages_for(text)}
        if self.logprobs:
            request |= {
                "temperature": 0,
                "max_completion_tokens": 1,
                "logprobs": True,
                "top_logprobs": TOP_LOGPROBS,
            }
        else:
            request |= {
                "max_completion_tokens": REASONING_MAX_TOKENS,
                "reasoning_effort": REASONING_EFFORT,
                "response_format": answer_schema([str(c) for c in self.classes_]),
            }
        return request

    def _answer(self, label: str) -> str:
        if self.logprobs:
            return label
        return json.dumps({"label": label, "certainty": "high"})

    def prompt_tokens(self, text: str) -> int:
        """The input tokens of ``text``'s request, as the chat format counts them."""
        messages = self.messages_for(text)
        counts = self._counter.count_many([m["content"] for m in messages])
        return sum(counts) + _MESSAGE_OVERHEAD_TOKENS * len(messages) + _REPLY_OVERHEAD_TOKENS

    def estimate(self, texts: Sequence[str]) -> CostEstimate:
        """Mean cost of a request over ``texts`` (exact prompts, the model's price)."""
        sample = list(texts) or ["a short message"]
        tokens = float(np.mean([self.prompt_tokens(text) for text in sample]))
        output = 1 if self.logprobs else REASONING_OUTPUT_TOKENS_ESTIMATE
        return CostEstimate(tokens, output, request_cost(self.prompt, self.model, tokens, output))

    # -- asking ----------------------------------------------------------------------

    def _row(self, text: str) -> np.ndarray:
        cached = self._cached(text)
        if cached is not None:
            return cached
        if self.ledger is not None:
            self.ledger.check()
        with translated(
            f"for prompt model {self.model} (SPORTBOT_PROMPT_MODEL)", settings=self.settings
        ):
            response = self.client.chat.completions.create(**self.request_for(text))
        if not response.choices:
            raise OpenAIError(f"OpenAI answered no choices for model {self.model}; try again.")
        self._record_spend(response.usage)
        row = np.array(list(self.probabilities(response.choices[0]).values()))
        self._remember(text, row)
        return row

    def probabilities(self, choice: Any) -> dict[str, float]:
        """``{label: probability}`` in ``classes_`` order from one answer."""
        labels = [str(label) for label in self.classes_]
        if self.logprobs:
            return class_probabilities(chat_top(choice), labels)
        return stated_probabilities(choice.message.content or "", labels)

    def _record_spend(self, usage: Any) -> None:
        if self.ledger is None or usage is None:
            return
        cost = request_cost(
            self.prompt, self.model, usage.prompt_tokens or 0, usage.completion_tokens or 0
        )
        if cost:
            self.ledger.add(cost)

    def _cached(self, text: str) -> np.ndarray | None:
        with self._cache_lock:
            row = self._cache.get(text)
            if row is not None:
                self._cache.move_to_end(text)
            return row

    def _remember(self, text: str, row: np.ndarray) -> None:
        if self.prompt.cache_size <= 0:
            return
        with self._cache_lock:
            self._cache[text] = row
            while len(self._cache) > self.prompt.cache_size:
                self._cache.popitem(last=False)


def stated_probabilities(content: str, labels: Sequence[str]) -> dict[str, float]:
    """The rule for a JSON answer without logprobs (``CERTAINTY``): the answered label
    gets its certainty's probability, the other labels share the rest equally. An
    answer that is not the schema's says nothing: every label equally likely."""
    try:
        answer = json.loads(content)
        label, certainty = answer["label"], CERTAINTY[answer["certainty"]]
    except (ValueError, KeyError, TypeError):
        return {name: 1.0 / len(labels) for name in labels}
    if label not in labels:
        return {name: 1.0 / len(labels) for name in labels}
    if len(labels) == 1:
        return {label: 1.0}
    rest = (1.0 - certainty) / (len(labels) - 1)
    return {name: certainty if name == label else rest for name in labels}


def prompted_model_id(model: str, version: str) -> str:
    """``prompt:<chat model>:<first 12 hex of the bank version>``."""
    return f"prompt:{model}:{version[:12]}"
