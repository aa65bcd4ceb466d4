"""The prompted backend's example bank: the labelled examples a chat model is shown.

"Training" the ``openai-prompt`` backend builds an ``ExampleBank``: every example
a run learns from (20 Newsgroups posts, seed lines, Slack corrections) with its
label, the fixed ``INSTRUCTION`` and the selection rule, versioned by a hash of
that content, and saved as a JSON file and an ``.npz`` of its vectors whose
sha256 the registry records. Nearest is the cosine of mean token embeddings
(``embedding.TokenEmbeddings``). Imports numpy and ``training``; no OpenAI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.errors import ConfigError, ModelFileError

FORMAT_VERSION = 1
INSTRUCTION = (
    "You label Slack messages and newsgroup posts by the sport they are about. "
    "Answer with exactly one label: baseball (about baseball: MLB, teams, players, "
    "pitching, batting), hockey (about ice hockey: NHL, PWHL, teams, players, goalies), "
    "or other (everything else, other sports included: football, basketball, soccer, "
    "work chatter). Labelled examples come first; answer the last message."
)
SELECTION_RULE = (
    "the k examples nearest to the text by cosine of mean token embeddings "
    "(headers stripped, first {example_chars} characters), nearest last; ties by bank order"
)
# Long posts: their opening says what they are about, and every character is paid for.
EXAMPLE_CHARS = 500


def prepared(text: str, chars: int) -> str:
    """A text as the bank keeps it and compares it: headers stripped, its opening."""
    from training.classifiers.scoring.posts import split

    return split(str(text), chars)[0].strip()


@dataclass(frozen=True)
class ExampleBank:
    """Labelled examples, the instruction and the selection rule; ``version`` hashes them."""

    texts: list[str]
    labels: list[str]
    vectors: np.ndarray  # (n, dimensions), L2-normalised, in ``texts`` order
    instruction: str = INSTRUCTION
    example_chars: int = EXAMPLE_CHARS

    @property
    def version(self) -> str:
        return bank_version(self.texts, self.labels, self.instruction, self.rule)

    @property
    def rule(self) -> str:
        return SELECTION_RULE.format(example_chars=self.example_chars)

    @property
    def label_set(self) -> list[str]:
        return sorted(set(self.labels))

    def nearest(self, vector: np.ndarray, k: int) -> list[int]:
        """Indexes of the ``k`` examples nearest to ``vector``, nearest first."""
        if k <= 0 or not self.texts:
            return []
        scores = self.vectors @ vector
        order = np.argsort(-scores, kind="stable")
        return [int(i) for i in order[:k]]


def build_bank(texts: Sequence[str], labels: Sequence[str]) -> ExampleBank:
    """The bank of these examples: each text's opening (headers stripped), sorted so
    the same examples make the same bank (and version) whatever order they came in."""
    from training.classifiers.embedding import TokenEmbeddings

    pairs = sorted(
        {
            (prepared(text, EXAMPLE_CHARS), str(label))
            for text, label in zip(texts, labels, strict=True)
        }
    )
    pairs = [(text, label) for text, label in pairs if text]
    if not pairs:
        raise ConfigError("No labelled examples to build the prompt's example bank from.")
    kept = [text for text, _ in pairs]
    vectors = TokenEmbeddings.shared().embed(kept).astype(np.float32)
    return ExampleBank(kept, [label for _, label in pairs], vectors)


def bank_version(texts: Sequence[str], labels: Sequence[str], instruction: str, rule: str) -> str:
    """sha256 of the instruction, the rule and every (label, text): same content, same version."""
    digest = hashlib.sha256()
    digest.update(json.dumps([FORMAT_VERSION, instruction, rule]).encode("utf-8"))
    for text, label in zip(texts, labels, strict=True):
        digest.update(b"\n" + json.dumps([label, text]).encode("utf-8"))
    return digest.hexdigest()


def save_bank(bank: ExampleBank, directory: Path) -> Path:
    """``bank-<version>.json`` (examples, instruction, rule, the vectors' hash) and
    ``bank-<version>.npz`` (the vectors) in ``directory``; the JSON's path."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"bank-{bank.version[:16]}"
    vectors_path = directory / f"{stem}.npz"
    staging = directory / f".{stem}.tmp.npz"
    np.savez_compressed(staging, vectors=bank.vectors.astype(np.float16))
    staging.replace(vectors_path)
    path = directory / f"{stem}.json"
    document = {
        "format_version": FORMAT_VERSION,
        "version": bank.version,
        "instruction": bank.instruction,
        "selection": bank.rule,
        "example_chars": bank.example_chars,
        "labels": bank.label_set,
        "vectors_file": vectors_path.name,
        "vectors_sha256": _sha256(vectors_path),
        "examples": [[label, text] for text, label in zip(bank.texts, bank.labels, strict=True)],
    }
    staging = directory / f".{stem}.tmp.json"
    staging.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")
    staging.replace(path)
    return path


def load_bank(path: Path | str, expected_sha256: str | None = None) -> ExampleBank:
    """The bank ``save_bank`` wrote, refusing a file changed since the registry recorded it."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Example bank {path} does not exist.")
    if expected_sha256 and _sha256(path) != expected_sha256:
        raise ModelFileError(f"Example bank {path} changed since it was registered; refusing it.")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        vectors_path = path.with_name(document["vectors_file"])
        if _sha256(vectors_path) != document["vectors_sha256"]:
            raise ModelFileError(f"{vectors_path} does not match its bank {path}; refusing it.")
        vectors = np.load(vectors_path)["vectors"].astype(np.float32)
        labels = [label for label, _ in document["examples"]]
        texts = [text for _, text in document["examples"]]
    except (OSError, ValueError, KeyError) as error:
        raise ModelFileError(f"Example bank {path} is unreadable: {error}") from None
    bank = ExampleBank(texts, labels, vectors, document["instruction"], document["example_chars"])
    if bank.version != document["version"]:
        raise ModelFileError(f"Example bank {path} does not match its version; refusing it.")
    return bank


def _sha256(path: Path) -> str:
    from training.classifiers.scoring.files import file_sha256

    return file_sha256(path)
