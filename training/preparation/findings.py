"""What the preparation checks take and give: the data formats, ``Finding``, ``Options``.

The vocabulary shared by the checks, the runner and the prepared files: the two
fields, the two output formats, the separators the old tool offered, and the
result types. Imports only pandas and ``training.preparation.tokens``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from training.openai_api.models import is_chat_model
from training.preparation.tokens import TokenCounter

FIELDS = ("prompt", "completion")
FORMATS = ("completion", "chat")
COMPATS = ("default", "legacy")
# The system message of every chat example; the OpenAI classifier sends the same one.
CHAT_SYSTEM_MESSAGE = (
    "Classify the sport this newsgroup post is about. Answer with one word: the label."
)
# The old tool's separator candidates, in its order; the fallback is used when
# every candidate already occurs in some prompt.
SEPARATOR_CANDIDATES = (
    " ->",
    "\n\n###\n\n",
    "\n\n===\n\n",
    "\n\n---\n\n",
    "\n\n===>\n\n",
    "\n\n--->\n\n",
)
FALLBACK_SEPARATOR = "\n\n### =>\n\n"

Fix = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Finding:
    """One check's result: printed as found / recommendation / necessary or optional."""

    name: str
    found: str
    recommendation: str | None = None
    necessary: bool = False
    fix: Fix | None = None
    error: str | None = None  # the data cannot be used: prepare() raises InputFileError

    @property
    def kind(self) -> str:
        if self.recommendation is None:
            return "info"
        return "necessary" if self.necessary else "optional"


@dataclass(frozen=True)
class Options:
    """What the checks need to know besides the data."""

    model: str
    fmt: str
    compat: str
    max_tokens: int
    counter: TokenCounter

    @property
    def legacy(self) -> bool:
        return self.compat == "legacy"


@dataclass
class PreparedData:
    """The result of ``prepare``: what was found and done, and the data to write."""

    findings: list[tuple[Finding, bool]]  # (finding, applied)
    train: pd.DataFrame
    valid: pd.DataFrame | None
    separator: str
    task_type: str
    fmt: str
    model: str
    token_note: str
    token_exact: bool


def format_for(model: str) -> str:
    """babbage-002 and davinci-002 learn from prompt/completion; later models from chat."""
    return "chat" if is_chat_model(model) else "completion"


def show(text: str) -> str:
    """A separator or prefix as it is written in code: newlines visible."""
    return text.replace("\n", "\\n")


def separator_of(prompt: str) -> str:
    """The known separator ``prompt`` ends with, or ''."""
    for candidate in (FALLBACK_SEPARATOR, *SEPARATOR_CANDIDATES):
        if prompt.endswith(candidate):
            return candidate
    return ""
