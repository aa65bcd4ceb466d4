"""The fifteen checks of the old ``prepare_data`` tool, in its order.

Each check is a pure function of the data and the ``Options``, returning a
``Finding`` (or None when there is nothing to say); ``CHECKS`` is the order the
runner applies them in. Imports only pandas and ``training.preparation``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from training.preparation.findings import (
    CHAT_SYSTEM_MESSAGE,
    FALLBACK_SEPARATOR,
    FIELDS,
    SEPARATOR_CANDIDATES,
    Finding,
    Options,
    show,
)

COMPLETION_ENDINGS = ("\n", ".", " END", "***", "+++", "&&&", "$$$", "@@@", "%%%")
MIN_EXAMPLES = 100
LEGACY_MAX_CHARS = 10_000


def task_type(df: pd.DataFrame) -> str:
    """The old tool's rule: open-ended when prompts are empty, classification when few labels."""
    if df["prompt"].str.len().sum() == 0:
        return "open-ended generation"
    if df["completion"].nunique() < len(df) / 3:
        return "classification"
    return "conditional generation"


def common_affix(series: pd.Series, *, suffix: bool) -> str:
    """The longest prefix (or suffix) every value shares."""
    values = series.tolist()
    if not values:
        return ""
    if suffix:
        return common_affix(pd.Series([v[::-1] for v in values]), suffix=False)[::-1]
    shortest = min(values, key=len)
    for i, char in enumerate(shortest):
        if any(value[i] != char for value in values):
            return shortest[:i]
    return shortest


def check_num_examples(df: pd.DataFrame, opts: Options) -> Finding:
    """Fine-tunes improve roughly linearly with every doubling of examples."""
    weak = len(df) < MIN_EXAMPLES
    found = f"{len(df)} prompt-completion pairs"
    if weak:
        found += "; fewer than 100 is weak: aim for a few hundred (each doubling helps)"
    return Finding("num_examples", found)


def check_column(name: str) -> Callable[[pd.DataFrame, Options], Finding | None]:
    """A required column, accepted in any letter case."""

    def check(df: pd.DataFrame, opts: Options) -> Finding | None:
        if name in df.columns:
            return None
        matches = [c for c in df.columns if str(c).lower() == name]
        if not matches:
            return Finding(
                f"{name}_column", f"no `{name}` column", error=f"the `{name}` column is missing"
            )
        return Finding(
            f"{name}_column",
            f"the column `{matches[0]}` should be lower case",
            f"rename `{matches[0]}` to `{name}`",
            necessary=True,
            fix=lambda d: d.rename(columns={matches[0]: name}),
        )

    return check


def check_extra_columns(df: pd.DataFrame, opts: Options) -> Finding | None:
    """Only prompt and completion reach the fine-tune; anything else is dropped."""
    extra = [str(c) for c in df.columns if c not in FIELDS]
    if not extra:
        return None
    return Finding(
        "extra_columns",
        f"additional columns: {extra}",
        f"remove the additional columns {extra}",
        necessary=True,
        fix=lambda d: d[list(FIELDS)],
    )


def as_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Missing prompts or completions become '' (then count as empty), numbers become text."""
    return df.assign(**{f: df[f].fillna("").astype(str) for f in FIELDS})


def check_empty_completions(df: pd.DataFrame, opts: Options) -> Finding | None:
    """An empty completion teaches nothing (and the API rejects it)."""
    completion = df["completion"]
    empty = completion.isna() | (completion.astype(str) == "")
    if not opts.legacy:
        empty |= completion.astype(str).str.strip() == ""
    if not empty.any():
        return None
    rows = _rows(df, empty)
    return Finding(
        "empty_completions",
        f"{len(rows)} empty completions, rows {rows}",
        f"remove {len(rows)} rows with empty completions",
        necessary=True,
        fix=lambda d: d.loc[~d.index.isin(df.index[empty])],
    )


def _rows(df: pd.DataFrame, mask: pd.Series) -> list[int]:
    """Row numbers (0-based, of the input file) where ``mask`` holds."""
    return [int(i) for i in df.index[mask.to_numpy()]]


def check_task_type(df: pd.DataFrame, opts: Options) -> Finding:
    """Classification gets a validation set and ranked metrics; say which we inferred."""
    kind = task_type(df)
    found = f"task type: {kind}"
    if kind == "classification":
        labels = sorted(df["completion"].astype(str).str.strip().unique())
        found += f" with {len(labels)} classes {labels}; hold out a validation set to measure it"
    return Finding("task_type", found)


def check_duplicates(df: pd.DataFrame, opts: Options) -> Finding | None:
    """Duplicates weigh some examples twice and can leak into the validation set."""
    dup = df.duplicated(subset=list(FIELDS))
    if not dup.any():
        return None
    rows = _rows(df, dup)
    return Finding(
        "duplicated_rows",
        f"{len(rows)} duplicated prompt-completion pairs, rows {rows}",
        f"remove {len(rows)} duplicate rows",
        fix=lambda d: d.drop_duplicates(subset=list(FIELDS)),
    )


def long_mask(df: pd.DataFrame, opts: Options) -> pd.Series:
    """Rows over the limit: characters in legacy mode, the base model's tokens otherwise."""
    if opts.legacy:
        return (df["prompt"].str.len() + df["completion"].str.len()) > LEGACY_MAX_CHARS
    # A token holds at least one byte, so only rows with more bytes than the limit can
    # have more tokens than it: count just those (tokenizing every post takes seconds).
    size = _utf8_len(df["prompt"]) + _utf8_len(df["completion"]) + _fixed_tokens(opts) + 1
    maybe = df.loc[size > opts.max_tokens]
    mask = pd.Series(False, index=df.index)
    if len(maybe):
        mask[maybe.index] = pd.Series(example_token_counts(maybe, opts), index=maybe.index) > (
            opts.max_tokens
        )
    return mask


def _utf8_len(texts: pd.Series) -> pd.Series:
    return texts.map(lambda text: len(text.encode("utf-8", errors="replace")))


def _fixed_tokens(opts: Options) -> int:
    """Tokens every example costs besides its prompt and completion."""
    if opts.fmt == "chat":
        return opts.counter.count(CHAT_SYSTEM_MESSAGE) + 3 * 4 + 3
    return opts.counter.count(FALLBACK_SEPARATOR)


def example_token_counts(df: pd.DataFrame, opts: Options) -> list[int]:
    """Tokens each example costs as written, separator and chat wrapping included.

    Prompts, the long part, are counted in one batch (tiktoken uses several threads).
    """
    count = opts.counter.count
    fixed = _fixed_tokens(opts)
    prompts = opts.counter.count_many(df["prompt"].tolist())
    completion = (lambda c: count(c)) if opts.fmt == "chat" else (lambda c: count(" " + c))
    return [fixed + p + completion(c) for p, c in zip(prompts, df["completion"], strict=True)]


def check_long_examples(df: pd.DataFrame, opts: Options) -> Finding | None:
    """The API rejects (or truncates) examples over the base model's context."""
    if task_type(df) == "open-ended generation":
        return None
    mask = long_mask(df, opts)
    if not mask.any():
        return None
    rows = _rows(df, mask)
    if opts.legacy:
        limit = f"over {LEGACY_MAX_CHARS} characters (prompt + completion)"
    else:
        limit = f"over {opts.max_tokens} tokens for {opts.model} ({opts.counter.note})"
    return Finding(
        "long_examples",
        f"{len(rows)} examples are very long, {limit}; rows {rows}",
        f"remove {len(rows)} long examples",
        # Drop the rows found here (by index), as the old tool did, without counting again.
        fix=lambda d: d.drop(index=mask.index[mask], errors="ignore"),
    )


def check_upper_case(column: str) -> Callable[[pd.DataFrame, Options], Finding | None]:
    """Mostly upper-case text tokenizes badly; lower-casing usually helps."""

    def check(df: pd.DataFrame, opts: Options) -> Finding | None:
        text = "".join(df[column].tolist())
        # str.isupper/islower of one character is true only for cased letters.
        upper = sum(map(str.isupper, text))
        lower = sum(map(str.islower, text))
        if upper * 2 <= lower:
            return None
        return Finding(
            f"upper_case_{column}",
            f"more than a third of the letters in `{column}` are upper case",
            f"lower-case every {column}",
            fix=lambda d: d.assign(**{column: d[column].str.lower()}),
        )

    return check


def pick_separator(prompts: pd.Series) -> str:
    """The first candidate no prompt contains (' ->' only when no prompt has a newline)."""
    has_newline = prompts.str.contains("\n", regex=False).any()
    for candidate in SEPARATOR_CANDIDATES:
        if candidate == " ->" and has_newline:
            continue
        if not prompts.str.contains(candidate, regex=False).any():
            return candidate
    return FALLBACK_SEPARATOR


def check_separator(df: pd.DataFrame, opts: Options) -> Finding | None:
    """A fixed separator tells the model where the prompt ends and the answer begins."""
    if task_type(df) == "open-ended generation":
        return None
    prompts = df["prompt"]
    suffix = common_affix(prompts, suffix=True)
    if (prompts == suffix).all():
        return Finding(
            "separator",
            f"all prompts are identical: `{show(suffix)}`",
            error="all prompts are identical; make them differ or leave them empty",
        )
    if suffix:
        found = f"all prompts end with `{show(suffix)}`"
        if len(suffix) > 10:
            found += f"; that is long, consider `{show(pick_separator(prompts))}`"
        if prompts.str[: -len(suffix)].str.contains(suffix, regex=False).any():
            found += "; WARNING: some prompts contain it more than once"
        return Finding("separator", found)
    separator = pick_separator(prompts)
    return Finding(
        "separator",
        "no common separator at the end of the prompts",
        f"add the separator `{show(separator)}` to every prompt",
        fix=lambda d: d.assign(prompt=d["prompt"] + separator),
    )


def check_prompt_prefix(df: pd.DataFrame, opts: Options) -> Finding | None:
    """A long shared instruction costs tokens on every example and teaches nothing."""
    prefix = common_affix(df["prompt"], suffix=False)
    if not prefix or (df["prompt"] == prefix).all():
        return None
    if len(prefix) <= 12:
        return Finding("prompt_prefix", f"all prompts start with `{show(prefix)}`")
    return Finding(
        "prompt_prefix",
        f"all prompts start with `{show(prefix)}`: fine-tuning needs no instruction",
        f"remove the prefix `{show(prefix)}` from every prompt",
        fix=lambda d: d.assign(prompt=d["prompt"].str[len(prefix) :]),
    )


def check_completion_prefix(df: pd.DataFrame, opts: Options) -> Finding | None:
    """Completions should hold only the answer, without a shared lead-in."""
    prefix = common_affix(df["completion"], suffix=False)
    if len(prefix) < 5 or (df["completion"] == prefix).all():
        return None
    keep = " " if prefix.startswith(" ") else ""
    return Finding(
        "completion_prefix",
        f"all completions start with `{show(prefix)}`",
        f"remove the prefix `{show(prefix)}` from every completion",
        fix=lambda d: d.assign(completion=keep + d["completion"].str[len(prefix) :]),
    )


def check_completion_suffix(df: pd.DataFrame, opts: Options) -> Finding | None:
    """Generated text needs a fixed ending to stop at; classes need none."""
    if task_type(df) != "conditional generation":
        return None
    completions = df["completion"]
    suffix = common_affix(completions, suffix=True)
    if (completions == suffix).all():
        return Finding(
            "completion_suffix",
            "all completions are identical",
            error=f"all completions are identical (`{show(suffix)}`)",
        )
    if suffix:
        return Finding("completion_suffix", f"all completions end with `{show(suffix)}`")
    ending = next(
        (e for e in COMPLETION_ENDINGS if not completions.str.contains(e, regex=False).any()),
        " [END]",
    )
    return Finding(
        "completion_suffix",
        "no common ending at the end of the completions",
        f"add the ending `{show(ending)}` to every completion",
        fix=lambda d: d.assign(completion=d["completion"] + ending),
    )


def check_leading_space(df: pd.DataFrame, opts: Options) -> Finding | None:
    """GPT tokenizers join a leading space to the word: ' baseball' is one token."""
    if df["completion"].str.startswith(" ").all():
        return None
    return Finding(
        "completion_space",
        "not every completion starts with a space",
        "add a space at the start of every completion",
        fix=lambda d: d.assign(
            completion=d["completion"].where(
                d["completion"].str.startswith(" "), " " + d["completion"]
            )
        ),
    )


CHECKS: tuple[Callable[[pd.DataFrame, Options], Finding | None], ...] = (
    check_num_examples,
    check_column("prompt"),
    check_column("completion"),
    check_extra_columns,
    check_empty_completions,
    check_task_type,
    check_duplicates,
    check_long_examples,
    check_upper_case("prompt"),
    check_upper_case("completion"),
    check_separator,
    check_prompt_prefix,
    check_completion_prefix,
    check_completion_suffix,
    check_leading_space,
)
