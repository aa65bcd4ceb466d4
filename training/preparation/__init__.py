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
their public surface; it imports nothing from ``bot`` or the Slack SDK.
"""

from training.preparation.advice import next_steps
from training.preparation.checks import (
    CHECKS,
    check_column,
    check_completion_prefix,
    check_completion_suffix,
    check_duplicates,
    check_empty_completions,
    check_extra_columns,
    check_leading_space,
    check_long_examples,
    check_num_examples,
    check_prompt_prefix,
    check_separator,
    check_task_type,
    check_upper_case,
    common_affix,
    example_token_counts,
    long_mask,
    pick_separator,
    task_type,
)
from training.preparation.cost import estimate_cost, file_tokens
from training.preparation.files import (
    output_paths,
    read_prepared,
    records,
    system_message_of,
    with_training_only,
    write_prepared,
)
from training.preparation.findings import (
    CHAT_SYSTEM_MESSAGE,
    FIELDS,
    Finding,
    Options,
    PreparedData,
    format_for,
    separator_of,
    show,
)
from training.preparation.readers import INPUT_EXTENSIONS, read_input
from training.preparation.runner import prepare, split, split_finding

__all__ = [
    "CHAT_SYSTEM_MESSAGE",
    "CHECKS",
    "FIELDS",
    "INPUT_EXTENSIONS",
    "Finding",
    "Options",
    "PreparedData",
    "check_column",
    "check_completion_prefix",
    "check_completion_suffix",
    "check_duplicates",
    "check_empty_completions",
    "check_extra_columns",
    "check_leading_space",
    "check_long_examples",
    "check_num_examples",
    "check_prompt_prefix",
    "check_separator",
    "check_task_type",
    "check_upper_case",
    "common_affix",
    "estimate_cost",
    "example_token_counts",
    "file_tokens",
    "format_for",
    "long_mask",
    "next_steps",
    "output_paths",
    "pick_separator",
    "prepare",
    "read_input",
    "read_prepared",
    "records",
    "separator_of",
    "show",
    "split",
    "split_finding",
    "system_message_of",
    "task_type",
    "with_training_only",
    "write_prepared",
]
