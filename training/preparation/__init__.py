"""The preparation tool: check and fix a prompt/completion data set before fine-tuning.

A port of the legacy ``openai tools fine_tunes.prepare_data`` with the same
checks in the same order, each a pure function returning a ``Finding`` (what it
found, what it recommends, whether that is necessary, and the fix). The CLI
prints findings and asks; the training pipeline calls ``prepare`` with
``accept`` answering for it.

``compat="legacy"`` repeats the old tool exactly (character-based lengths, all
checks judged before any optional fix, an unstratified ``df.sample`` split), so
the walkthrough's numbers (11 long rows, 948/238) can be checked. The default
mode measures lengths in the base model's tokens, drops duplicates and makes a
stratified split.

One module per job: ``readers`` (input files), ``checks``, ``runner`` (running
them, and the split), ``files`` (the prepared JSONL), ``cost``, ``advice`` (the
next steps printed) and ``tokens`` (offline token counts). This package is
their public surface, resolved on first use: importing ``tokens`` alone (as the
classifiers in a web process do) must not load pandas. Nothing here imports
``bot`` or the Slack SDK.
"""

from __future__ import annotations

import importlib

# Each public name and the module that defines it.
_HOMES = {
    "CHAT_SYSTEM_MESSAGE": "findings",
    "CHECKS": "checks",
    "FIELDS": "findings",
    "Finding": "findings",
    "INPUT_EXTENSIONS": "readers",
    "Options": "findings",
    "PreparedData": "findings",
    "check_column": "checks",
    "check_completion_prefix": "checks",
    "check_completion_suffix": "checks",
    "check_duplicates": "checks",
    "check_empty_completions": "checks",
    "check_extra_columns": "checks",
    "check_leading_space": "checks",
    "check_long_examples": "checks",
    "check_num_examples": "checks",
    "check_prompt_prefix": "checks",
    "check_separator": "checks",
    "check_task_type": "checks",
    "check_upper_case": "checks",
    "common_affix": "checks",
    "estimate_cost": "cost",
    "example_token_counts": "checks",
    "file_tokens": "cost",
    "format_for": "findings",
    "long_mask": "checks",
    "next_steps": "advice",
    "output_paths": "files",
    "pick_separator": "checks",
    "prepare": "runner",
    "read_input": "readers",
    "read_prepared": "files",
    "records": "files",
    "separator_of": "findings",
    "show": "findings",
    "split": "runner",
    "split_finding": "runner",
    "system_message_of": "files",
    "task_type": "checks",
    "with_training_only": "files",
    "write_prepared": "files",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # found once; later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
