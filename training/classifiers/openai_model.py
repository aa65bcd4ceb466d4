"""A fine-tuned OpenAI model as a sportbot classifier.

The model is asked for one token at temperature 0 with the top
log-probabilities, and ``training.classifiers.logprobs`` turns those into
class probabilities, so an OpenAI fine-tune answers like the local model:
``predict_proba(texts)`` with rows in ``classes_`` order.

Which API is used follows from the model name. Legacy completion models
(``babbage-002``, ``davinci-002`` and their ``ft:`` fine-tunes) get
``text + separator`` as the prompt, the separator they were trained with,
and a batch goes out as lists of up to ``batch_size`` prompts per request
(answers are matched back by ``index``, never by position). Chat models
(``gpt-*`` and their fine-tunes) get the training system message and the
text as the user message, one request per text, a few at a time.

Texts longer than the model's context are cut, token-aware, so the separator
(what tells the model "answer now") always survives. OpenAI's exceptions are
turned into ours (``training.openai_api``, the one boundary) with a message
that names the model and never contains the API key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import openai

from training.classifiers.base import SPORT_LABELS, TextClassifier
from training.classifiers.logprobs import chat_top, class_probabilities
from training.config import DEFAULT_SEPARATOR, OpenAISettings
from training.errors import ConfigError, OpenAIError
from training.openai_api.calls import build_client, redact, translated
from training.openai_api.calls import openai_error as _translate
from training.openai_api.models import is_chat_model

__all__ = ["OpenAIModel", "build_client", "openai_error", "redact"]

# The system message chat fine-tunes are trained with (prepare writes it into every
# chat example): the classifier must send the very same one.
from training.preparation import CHAT_SYSTEM_MESSAGE
from training.preparation.tokens import counter_for, example_limit

TOP_LOGPROBS = 5  # the most the legacy completions endpoint returns
BATCH_SIZE = 20
CHAT_WORKERS = 4
# Tokens the chat format adds around the messages (role markers, reply priming).
_CHAT_OVERHEAD_TOKENS = 16
# Where the text meets the separator, tokens may merge differently than apart.
_BOUNDARY_SLACK_TOKENS = 4
# When counts are estimates (another encoding), keep this share of the budget.
_ESTIMATE_MARGIN = 0.9


class OpenAIModel(TextClassifier):
    """A fine-tuned (or base) OpenAI model that tells the labels apart."""

    def __init__(
        self,
        model_id: str,
        *,
        settings: OpenAISettings | None = None,
        labels: Sequence[str] = SPORT_LABELS,
        separator: str = DEFAULT_SEPARATOR,
        system_message: str = CHAT_SYSTEM_MESSAGE,
        client: openai.OpenAI | None = None,
        batch_size: int = BATCH_SIZE,
        workers: int = CHAT_WORKERS,
    ) -> None:
        if not labels:
            raise ConfigError(f"OpenAI model {model_id} needs at least one label.")
        self.model_id = model_id
        self.classes_ = np.asarray(list(labels))
        self.separator = separator
        self.system_message = system_message
        self.settings = settings or OpenAISettings()
        self.client = client or build_client(self.settings)
        self.batch_size = max(1, batch_size)
        self.workers = max(1, workers)
        self.chat = is_chat_model(model_id)
        self._counter = counter_for(model_id)
        self._text_budget = self._budget()

    # -- the classifier face ---------------------------------------------------------

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of class probabilities in ``classes_`` order, one per text."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        if self.chat:
            tops = self._chat_tops(texts)
        else:
            tops = [
                top
                for i in range(0, len(texts), self.batch_size)
                for top in self._completion_tops(texts[i : i + self.batch_size])
            ]
        return np.array([self._row(top) for top in tops])

    def close(self) -> None:
        """Close the HTTP connections of the client."""
        self.client.close()

    # -- what is sent ---------------------------------------------------------------

    def fit_text(self, text: str) -> str:
        """``text`` cut (by tokens) so the prompt and the answer fit the model's context."""
        return self._counter.truncate(text, self._text_budget)

    def prompt_for(self, text: str) -> str:
        """The completion prompt: the (cut) text and the separator the model was trained on."""
        return self.fit_text(text) + self.separator

    def messages_for(self, text: str) -> list[dict[str, str]]:
        """The chat messages: the training system message and the (cut) text."""
        return [
            {"role": "system", "content": self.system_message},
            {"role": "user", "content": self.fit_text(text)},
        ]

    def _budget(self) -> int:
        count = self._counter.count
        reserved = 1 + _BOUNDARY_SLACK_TOKENS  # the answer token, boundary merges
        if self.chat:
            reserved += count(self.system_message) + _CHAT_OVERHEAD_TOKENS
        else:
            reserved += count(self.separator)
        budget = example_limit(self.model_id) - reserved
        if not self._counter.exact:
            budget = int(budget * _ESTIMATE_MARGIN)
        return max(1, budget)

    # -- the two APIs ---------------------------------------------------------------

    def _completion_tops(self, texts: Sequence[str]) -> list[dict[str, float]]:
        prompts = [self.prompt_for(text) for text in texts]
        with translated_errors(self.model_id, self.settings):
            response = self.client.completions.create(
                model=self.model_id,
                prompt=prompts,
                max_tokens=1,
                temperature=0,
                logprobs=TOP_LOGPROBS,
            )
        by_index = {choice.index: choice for choice in response.choices}
        missing = [i for i in range(len(prompts)) if i not in by_index]
        if missing:
            raise OpenAIError(
                f"OpenAI answered {len(response.choices)} choices for {len(prompts)} prompts "
                f"to model {self.model_id} (missing indexes {missing[:5]}); try again."
            )
        return [_completion_top(by_index[i]) for i in range(len(prompts))]

    def _chat_tops(self, texts: Sequence[str]) -> list[dict[str, float]]:
        if len(texts) == 1 or self.workers == 1:
            return [self._chat_top(text) for text in texts]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(texts))) as pool:
            return list(pool.map(self._chat_top, texts))

    def _chat_top(self, text: str) -> dict[str, float]:
        with translated_errors(self.model_id, self.settings):
            response = self.client.chat.completions.create(
                model=self.model_id,
                messages=self.messages_for(text),
                max_completion_tokens=1,
                temperature=0,
                logprobs=True,
                top_logprobs=TOP_LOGPROBS,
            )
        if not response.choices:
            raise OpenAIError(f"OpenAI answered no choices for model {self.model_id}; try again.")
        return chat_top(response.choices[0])

    def _row(self, top: dict[str, float]) -> list[float]:
        probabilities = class_probabilities(top, [str(label) for label in self.classes_])
        return list(probabilities.values())


def _completion_top(choice: Any) -> dict[str, float]:
    """The first token's top logprobs; the chosen token alone when they are missing."""
    logprobs = choice.logprobs
    if logprobs is not None and logprobs.top_logprobs and logprobs.top_logprobs[0]:
        return dict(logprobs.top_logprobs[0])
    if logprobs is not None and logprobs.tokens and logprobs.token_logprobs:
        return {logprobs.tokens[0]: logprobs.token_logprobs[0]}
    return {choice.text or "": 0.0}


# -- errors ---------------------------------------------------------------------------


@contextmanager
def translated_errors(model: str, settings: OpenAISettings | None = None) -> Iterator[None]:
    """Raise our OpenAIError family instead of openai's exceptions, naming ``model``."""
    with translated(f"for model {model}", settings=settings):
        yield


def openai_error(
    exc: openai.OpenAIError, model: str, settings: OpenAISettings | None = None
) -> OpenAIError:
    """Our exception for one of openai's, naming ``model`` (see ``training.openai_api.calls``)."""
    return _translate(exc, f"for model {model}", settings)
