"""scikit-learn's ``HashingVectorizer`` features, step by step, without scikit-learn.

The same preprocessing, n-grams and MurmurHash3 (the ``mmh3`` package), so a
column here is the column scikit-learn would give. Imports only ``mmh3``.
"""

from __future__ import annotations

import re
import unicodedata

import mmh3

_WHITE_SPACES = re.compile(r"\s\s+")


def strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode``: NFKD, without combining marks."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def word_ngrams(text: str, token_pattern: re.Pattern, ngrams: tuple[int, int]) -> list[str]:
    """``HashingVectorizer(analyzer="word", strip_accents="unicode", lowercase=True)``'s tokens."""
    tokens = token_pattern.findall(strip_accents(text.lower()))
    low, high = ngrams
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_wb_ngrams(text: str, ngrams: tuple[int, int]) -> list[str]:
    """``HashingVectorizer(analyzer="char_wb", lowercase=True)``'s tokens: character
    n-grams inside each word, the word padded with a space on each side."""
    low, high = ngrams
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        size = len(word)
        for n in range(low, high + 1):
            if size <= n:  # a short word counts once, whole
                grams.append(word)
                break
            grams += [word[i : i + n] for i in range(size - n + 1)]
    return grams


def hash_column(token: str, size: int) -> int:
    """``FeatureHasher``'s column of a token: abs(signed MurmurHash3 of its UTF-8) % size."""
    # Bytes, not the str: mmh3 5.3 crashes the interpreter on a str holding a lone
    # surrogate; encoding first raises UnicodeEncodeError as scikit-learn does.
    h = mmh3.hash(token.encode("utf-8"), 0, True)
    if h == -2147483648:  # abs() of int32's minimum overflows in scikit-learn's C
        return (2147483647 - (size - 1)) % size
    return abs(h) % size
