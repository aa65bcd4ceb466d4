"""Issue 2: check and fix a prompt/completion data set before fine-tuning.

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
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from training.errors import InputFileError
from training.openai_api.models import is_chat_model
from training.tokens import (
    TokenCounter,
    base_model_of,
    counter_for,
    example_limit,
    record_tokens,
)

FIELDS = ("prompt", "completion")
FORMATS = ("completion", "chat")
COMPATS = ("default", "legacy")
INPUT_EXTENSIONS = (".jsonl", ".json", ".csv", ".tsv", ".xlsx")
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
COMPLETION_ENDINGS = ("\n", ".", " END", "***", "+++", "&&&", "$$$", "@@@", "%%%")
MIN_EXAMPLES = 100
LEGACY_MAX_CHARS = 10_000
MAX_VALID_EXAMPLES = 1000
VALID_FRACTION = 0.2
SEED = 42

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


# ---------------------------------------------------------------- reading files


def read_input(path: Path) -> pd.DataFrame:
    """Read a JSONL, JSON, CSV, TSV or XLSX file; InputFileError names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path} does not exist.")
    ext = path.suffix.lower()
    if ext not in INPUT_EXTENSIONS:
        raise InputFileError(
            f"{path}: unknown extension {ext or '(none)'!r}; use one of "
            f"{', '.join(INPUT_EXTENSIONS)}."
        )
    df = _read_xlsx(path) if ext == ".xlsx" else _read_text_format(path, ext, _read_utf8(path))
    if df.empty:
        raise InputFileError(f"{path} is empty: it holds no examples.")
    return df


def _read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"cannot read {path}: {error.strerror or error}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: not UTF-8 text (byte {error.start}).") from None


def _read_text_format(path: Path, ext: str, text: str) -> pd.DataFrame:
    if not text.strip():
        raise InputFileError(f"{path} is empty: it holds no examples.")
    if ext in (".csv", ".tsv"):
        return _read_delimited(path, text, "," if ext == ".csv" else "\t")
    if ext == ".json":
        try:
            return _records_frame(path, json.loads(text))
        except json.JSONDecodeError:
            pass  # perhaps JSON Lines under a .json name, as the old tool accepted
    return _read_jsonl(path, text)


def _read_jsonl(path: Path, text: str) -> pd.DataFrame:
    return _records_frame(path, _jsonl_rows(path, text))


def _jsonl_rows(path: Path, text: str) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(f"{path}:{number}: malformed JSON ({error.msg}).") from None
        if not isinstance(row, dict):
            raise InputFileError(f"{path}:{number}: expected a JSON object, got {row!r:.40}.")
        rows.append(row)
    return rows


def _records_frame(path: Path, data: object) -> pd.DataFrame:
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        data = pd.DataFrame(data).to_dict("records")  # {"prompt": [...], ...}
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputFileError(f"{path}: expected a list of objects with prompt and completion.")
    return pd.DataFrame(data, dtype=object).map(_as_text) if data else pd.DataFrame()


def _as_text(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _read_delimited(path: Path, text: str, sep: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise InputFileError(
            f"{path}: not valid {'CSV' if sep == ',' else 'TSV'}: {reason}"
        ) from None


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        reason = " ".join(str(error).split()) or type(error).__name__
        raise InputFileError(f"{path}: not a readable XLSX workbook ({reason}).") from None


# ---------------------------------------------------------------- the checks


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


def _as_strings(df: pd.DataFrame) -> pd.DataFrame:
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


# ---------------------------------------------------------------- split and run


def split_finding(df: pd.DataFrame, opts: Options) -> Finding | None:
    """Classification: hold out examples to measure accuracy (the old tool's ask)."""
    if task_type(df) != "classification":
        return None
    how = "random (legacy)" if opts.legacy else "stratified by label, 20% up to 1000 examples"
    return Finding(
        "split",
        "classification can be measured on held-out examples",
        f"split into training and validation sets ({how})",
    )


def split(df: pd.DataFrame, *, legacy: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train/validation rows; validation keeps the input order."""
    if legacy:
        n_train = max(len(df) - MAX_VALID_EXAMPLES, int(len(df) * 0.8))
        train = df.sample(n=n_train, random_state=SEED)
        return train, df.drop(train.index)
    from sklearn.model_selection import train_test_split

    # As the old tool: at most 1000 validation examples, so a large set trains on more.
    test_size = (
        VALID_FRACTION if len(df) * VALID_FRACTION <= MAX_VALID_EXAMPLES else MAX_VALID_EXAMPLES
    )
    try:
        train, valid = train_test_split(
            df, test_size=test_size, random_state=SEED, stratify=df["completion"]
        )
    except ValueError as error:  # a class with one example, or too few rows per class
        raise InputFileError(f"cannot make a stratified split: {error}") from None
    return train, valid.sort_index()


def prepare(
    df: pd.DataFrame,
    *,
    model: str,
    fmt: str | None = None,
    compat: str = "default",
    max_tokens: int | None = None,
    accept: Callable[[Finding], bool] = lambda finding: True,
) -> PreparedData:
    """Run every check, apply necessary fixes and the accepted optional ones, then split.

    Legacy mode judges every check on the data with only necessary fixes applied
    and applies optional fixes afterwards, as the old tool did; the default mode
    judges each check on the data the earlier accepted fixes left.
    """
    if compat not in COMPATS:
        raise InputFileError(f"unknown --compat {compat!r}; use one of {', '.join(COMPATS)}")
    fmt = fmt or format_for(model)
    if fmt not in FORMATS:
        raise InputFileError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    counter = counter_for(model)
    opts = Options(model, fmt, compat, max_tokens or example_limit(model), counter)
    df, findings = _run_checks(df, opts, accept)
    train, valid = df, None
    finding = split_finding(df, opts)
    if finding is not None:
        applied = accept(finding)
        findings.append((finding, applied))
        if applied:
            train, valid = split(df, legacy=opts.legacy)
    separator = separator_of(common_affix(df["prompt"], suffix=True)) if len(df) > 1 else ""
    return PreparedData(
        findings, train, valid, separator, task_type(df), fmt, model, counter.note, counter.exact
    )


def _run_checks(
    df: pd.DataFrame, opts: Options, accept: Callable[[Finding], bool]
) -> tuple[pd.DataFrame, list[tuple[Finding, bool]]]:
    findings: list[tuple[Finding, bool]] = []
    pending: list[Finding] = []
    for check in CHECKS:
        if set(FIELDS) <= set(df.columns):
            df = _as_strings(df)
        finding = check(df, opts)
        if finding is None:
            continue
        if finding.error:
            raise InputFileError(finding.error + ".")
        if finding.fix is None or finding.necessary:
            df = finding.fix(df) if finding.fix else df
            findings.append((finding, finding.fix is not None))
        elif opts.legacy:
            pending.append(finding)
        else:
            df = _apply_optional(df, finding, accept, findings)
        if len(df) == 0:
            raise InputFileError("no examples are left after the necessary fixes.")
    for finding in pending:
        df = _apply_optional(df, finding, accept, findings)
    return df, findings


def _apply_optional(df, finding, accept, findings) -> pd.DataFrame:
    applied = bool(accept(finding))
    findings.append((finding, applied))
    return finding.fix(df) if applied else df


# ---------------------------------------------------------------- writing and reading


def records(df: pd.DataFrame, fmt: str, separator: str) -> list[dict]:
    """The JSONL rows of ``df`` in ``fmt``; chat rows carry the bare prompt and label."""
    if fmt == "completion":
        return [
            {"prompt": p, "completion": c}
            for p, c in zip(df["prompt"], df["completion"], strict=True)
        ]
    return [
        {
            "messages": [
                {"role": "system", "content": CHAT_SYSTEM_MESSAGE},
                {"role": "user", "content": _strip_end(p, separator)},
                {"role": "assistant", "content": c.strip()},
            ]
        }
        for p, c in zip(df["prompt"], df["completion"], strict=True)
    ]


def _strip_end(text: str, suffix: str) -> str:
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


def with_training_only(prepared: PreparedData, extra: pd.DataFrame) -> PreparedData:
    """``prepared`` with ``extra`` rows (bare prompt/label) added to its training set only.

    They get the separator and leading space the prepared rows have, so both formats
    write them like every other row.
    """
    if extra.empty:
        return prepared
    rows = pd.DataFrame(
        {"prompt": extra["prompt"] + prepared.separator, "completion": " " + extra["completion"]}
    )
    train = pd.concat([prepared.train, rows], ignore_index=True)
    return dataclasses.replace(prepared, train=train)


def output_paths(base_path: Path, *, split: bool = True) -> list[Path]:
    """``<base>_prepared_train.jsonl``/``_valid.jsonl``, with ' (1)', ' (2)' when taken."""
    base = Path(base_path)
    stem = base.with_suffix("").name if base.suffix else base.name
    kinds = ("_train", "_valid") if split else ("",)
    for i in range(10_000):
        mark = f" ({i})" if i else ""
        paths = [base.parent / f"{stem}_prepared{kind}{mark}.jsonl" for kind in kinds]
        if not any(p.exists() for p in paths):
            return paths
    raise InputFileError(f"too many prepared files beside {base}.")  # pragma: no cover


def write_prepared(prepared: PreparedData, base_path: Path) -> tuple[Path, Path | None]:
    """Write both files beside ``base_path``; temp files are renamed only when both are done."""
    parts = [prepared.train] + ([prepared.valid] if prepared.valid is not None else [])
    paths = output_paths(base_path, split=len(parts) == 2)
    temps: list[str] = []
    try:
        for df, path in zip(parts, paths, strict=False):
            temps.append(_write_temp(path, records(df, prepared.fmt, prepared.separator)))
        for temp, path in zip(temps, paths, strict=False):
            os.replace(temp, path)
    except OSError as error:
        for temp in temps:
            Path(temp).unlink(missing_ok=True)
        raise InputFileError(
            f"cannot write {paths[0].parent}: {error.strerror or error}."
        ) from None
    return paths[0], (paths[1] if len(paths) == 2 else None)


def _write_temp(path: Path, rows: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return temp


def read_prepared(path: Path) -> pd.DataFrame:
    """A prepared file (either format) as ``text``/``label``: what the local model trains on."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path} does not exist.")
    rows = _jsonl_rows(path, _read_utf8(path))
    if not rows:
        raise InputFileError(f"{path} is empty: it holds no examples.")
    pairs = [_text_and_label(path, number, row) for number, row in enumerate(rows, start=1)]
    return pd.DataFrame(pairs, columns=["text", "label"])


def _text_and_label(path: Path, number: int, row: dict) -> tuple[str, str]:
    if "messages" in row:
        contents = {m.get("role"): m.get("content") for m in row["messages"] or []}
        text, label = contents.get("user"), contents.get("assistant")
    else:
        prompt, label = row.get("prompt"), row.get("completion")
        text = _strip_end(prompt, separator_of(prompt)) if isinstance(prompt, str) else None
    if not isinstance(text, str) or not isinstance(label, str):
        raise InputFileError(f"{path}: row {number} is neither prompt/completion nor chat.")
    return text, label.strip()


def separator_of(prompt: str) -> str:
    """The known separator ``prompt`` ends with, or ''."""
    for candidate in (FALLBACK_SEPARATOR, *SEPARATOR_CANDIDATES):
        if prompt.endswith(candidate):
            return candidate
    return ""


def system_message_of(row: dict) -> str | None:
    """The system message of a chat training row (``{"messages": [...]}``), or None."""
    for message in row.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "system":
            return str(message.get("content") or "") or None
    return None


# ---------------------------------------------------------------- after writing


def file_tokens(df: pd.DataFrame, prepared: PreparedData) -> int:
    """Training tokens of ``df`` as written (the count OpenAI bills per epoch)."""
    counter = counter_for(prepared.model)
    return sum(record_tokens(counter, row) for row in records(df, prepared.fmt, prepared.separator))


def estimate_cost(
    tokens: int, epochs: int, model: str, prices: Mapping[str, float]
) -> float | None:
    """USD for ``epochs`` passes over ``tokens``; None when no price is configured."""
    price = prices.get(model, prices.get(base_model_of(model)))
    return None if price is None else tokens * epochs * price / 1_000_000


def next_steps(
    prepared: PreparedData, train_path: Path, valid_path: Path | None, epochs: int
) -> list[str]:
    """The commands that train on the written files: ours, and the OpenAI job call.

    Both must run exactly as printed: ours is a POSIX shell line (paths quoted for the
    shell; the epochs go in SPORTBOT_EPOCHS, as ``train`` reads them, so a copied line
    trains with the epochs the cost estimate assumed), the other a line of Python.
    """
    valid = f" --valid {shlex.quote(str(valid_path))}" if valid_path else ""
    ours = (
        f"SPORTBOT_EPOCHS={epochs} sportbot train --backend openai --model "
        f"{shlex.quote(prepared.model)} --train {shlex.quote(str(train_path))}{valid}"
    )
    valid_arg = ", validation_file=valid.id" if valid_path else ""
    upload_valid = (
        f'valid = client.files.create(file=open({str(valid_path)!r}, "rb"), purpose="fine-tune"); '
        if valid_path
        else ""
    )
    openai_call = (
        f'train = client.files.create(file=open({str(train_path)!r}, "rb"), purpose="fine-tune"); '
        f"{upload_valid}"
        f"client.fine_tuning.jobs.create(model={prepared.model!r}, training_file=train.id"
        f'{valid_arg}, method={{"type": "supervised", "supervised": '
        f'{{"hyperparameters": {{"n_epochs": {epochs}}}}}}})'
    )
    return [ours, openai_call]
