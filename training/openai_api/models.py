"""Which OpenAI models speak chat and which the legacy completions API.

One rule, used both for how a model is asked (``classifiers.openai_model``)
and for the format of the training file it learns from (``training.preparation``).
Imports only ``training.preparation.tokens``.
"""

from __future__ import annotations

from training.preparation.tokens import base_model_of

# The legacy completion models; their ``ft:`` fine-tunes are completion models too.
COMPLETION_MODELS = ("babbage-002", "davinci-002")


def is_chat_model(model_id: str) -> bool:
    """True for chat models; False for legacy completion models (babbage-002, davinci-002)."""
    return not base_model_of(model_id).startswith(COMPLETION_MODELS)
