"""Class probabilities from the top log-probabilities of a one-token completion.

A fine-tuned model asked for one token answers with its first token and, on
request, the k most likely first tokens with their log-probabilities. Turning
those into ``{label: probability}`` needs care:

* The model spreads mass over spellings of the same label: ``' hockey'``,
  ``' Hockey'``, ``'hockey'``, ``'HOCKEY'``. Tokens are compared after
  stripping whitespace and lower-casing, and their probabilities are added.
* A label may tokenise in pieces (``'hockey'`` without its leading space is
  ``'h'`` + ``'ockey'`` in cl100k_base), so only its first piece can appear.
  A token whose normalised form is a prefix of exactly one label counts as
  that label; a prefix shared by several labels (or an empty token such as
  ``'\\n'``) counts for none.
* Tokens that match no label (``'\\n'``, ``' the'``) are dropped; their mass
  is neither given to a label nor part of the remaining mass.
* A label absent from the top list is not impossible, only unlikely: every
  missing label gets an equal share of the mass the list does not cover
  (``1 - sum(p of every listed token)``), which is zero when the listed
  tokens already hold all the mass (the walkthrough's
  ``{' hockey': 0.0, ' Hockey': -22.5}``).
* The result is normalised to sum to 1. When no listed token matches a label
  and no mass remains, every label gets the same probability: the model said
  nothing about the question.

Everything here is a pure function over plain mappings (``chat_top`` only reads
a chat answer's first-token logprobs off the response object), so it is tested
without any client or server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def normalise_token(token: str) -> str:
    """The token as compared with labels: no surrounding whitespace, lower case."""
    return token.strip().lower()


def label_of_token(token: str, labels: Sequence[str]) -> str | None:
    """The label ``token`` stands for, or None when it stands for none (or several)."""
    norm = normalise_token(token)
    if not norm:
        return None
    names = {label: normalise_token(label) for label in labels}
    exact = [label for label, name in names.items() if name == norm]
    if exact:
        return exact[0]
    prefixes = [label for label, name in names.items() if name.startswith(norm)]
    return prefixes[0] if len(prefixes) == 1 else None


def top_from_pairs(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """``{token: logprob}`` from (token, logprob) pairs, keeping the larger of duplicates.

    Chat completions list their top tokens as objects rather than a mapping.
    """
    top: dict[str, float] = {}
    for token, logprob in pairs:
        if token not in top or logprob > top[token]:
            top[token] = logprob
    return top


def class_probabilities(
    top_logprobs: Mapping[str, float], labels: Sequence[str]
) -> dict[str, float]:
    """``{label: probability}`` for ``labels`` (in order) from one top-logprobs mapping."""
    if not labels:
        raise ValueError("labels must not be empty")
    mass = dict.fromkeys(labels, 0.0)
    seen_labels: set[str] = set()
    seen_total = 0.0
    for token, logprob in top_logprobs.items():
        probability = _probability(logprob)
        seen_total += probability
        label = label_of_token(token, labels)
        if label is not None:
            mass[label] += probability
            seen_labels.add(label)
    missing = [label for label in labels if label not in seen_labels]
    if missing:
        share = max(0.0, 1.0 - seen_total) / len(missing)
        for label in missing:
            mass[label] = share
    return _normalised(mass)


def _probability(logprob: float) -> float:
    if logprob is None or math.isnan(logprob):
        return 0.0
    return math.exp(min(float(logprob), 0.0))


def _normalised(mass: dict[str, float]) -> dict[str, float]:
    total = sum(mass.values())
    if total <= 0.0:
        return {label: 1.0 / len(mass) for label in mass}
    return {label: value / total for label, value in mass.items()}


def chat_top(choice: Any) -> dict[str, float]:
    """A chat answer's first-token top logprobs; its text alone when they are missing."""
    content = choice.logprobs.content if choice.logprobs is not None else None
    if not content:
        return {choice.message.content or "": 0.0}
    first = content[0]
    pairs = [(top.token, top.logprob) for top in first.top_logprobs]
    return top_from_pairs(pairs or [(first.token, first.logprob)])
