"""The local model's training data: the seed messages shipped in
``training/seed/*.jsonl``, JSONL rows, and the hash that names a model's data.

Imports only the standard library and ``training``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib import resources

from training.classifiers.base import LABELS
from training.errors import DataError

SEED_PACKAGE = "training.seed"


def seed_examples() -> tuple[list[str], list[str]]:
    """The hand-written short messages shipped in ``training/seed/*.jsonl``."""
    texts: list[str] = []
    labels: list[str] = []
    for entry in sorted(resources.files(SEED_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".jsonl"):
            rows = read_jsonl_lines(entry.read_text(encoding="utf-8"), entry.name)
            texts += [row["text"] for row in rows]
            labels += [row["label"] for row in rows]
    return texts, labels


def read_jsonl_lines(content: str, name: str) -> list[dict]:
    """``{"text", "label"}`` rows of a JSONL text; DataError names the bad line."""
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{name} line {number}: not JSON ({error.msg}).") from None
        if row.get("label") not in LABELS or not isinstance(row.get("text"), str):
            raise DataError(f"{name} line {number}: needs a text and a label in {LABELS}.")
        rows.append(row)
    return rows


def data_sha256(
    texts: Sequence[str],
    labels: Sequence[str],
    known_texts: Sequence[str] = (),
    known_labels: Sequence[str] = (),
    *,
    weights: Sequence[float] | None = None,
) -> str:
    """A hash of the training data, order included: same data, same hash. The
    list-made examples a model also learned from (``knowledge``) count after a marker;
    sample weights, when given, after another (other weights, another model)."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([label, text]).encode("utf-8"))
        digest.update(b"\n")
    if known_texts:
        digest.update(b"knowledge\n")
        for text, label in zip(known_texts, known_labels, strict=True):
            digest.update(json.dumps([label, text]).encode("utf-8"))
            digest.update(b"\n")
    if weights is not None:
        digest.update(b"weights\n" + json.dumps([float(w) for w in weights]).encode("utf-8"))
    return digest.hexdigest()
