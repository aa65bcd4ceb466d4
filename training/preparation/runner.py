"""Running the checks on a data set, applying their fixes, and the train/validation split.

``prepare`` is the entry point the CLI and the training pipeline share: the CLI
answers the optional recommendations through ``accept``, the pipeline accepts
them all. Imports only pandas, scikit-learn (for the split) and ``training``'s
errors and preparation modules.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from training.errors import InputFileError
from training.preparation.checks import CHECKS, as_strings, common_affix, task_type
from training.preparation.findings import (
    COMPATS,
    FIELDS,
    FORMATS,
    Finding,
    Options,
    PreparedData,
    format_for,
    separator_of,
)
from training.preparation.tokens import counter_for, example_limit

MAX_VALID_EXAMPLES = 1000
VALID_FRACTION = 0.2
SEED = 42


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
            df = as_strings(df)
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
