"""``sportbot prepare``: check a fine-tuning data set, fix it, write the train/valid files.

Prints each finding and asks about optional fixes on a terminal; the checks,
fixes, files and cost are ``training.preparation``'s. Imports only typer, rich
and ``training``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from training import preparation as prep
from training.cli import common
from training.cli.common import out, run, source
from training.config import Settings


class Format(StrEnum):
    completion = "completion"
    chat = "chat"


class Compat(StrEnum):
    default = "default"
    legacy = "legacy"


def prepare(
    file: Path | None = typer.Option(
        None, "-f", "--file", help="JSONL, JSON, CSV, TSV or XLSX with prompt and completion."
    ),
    data_path: Path | None = typer.Option(
        None, "--data", help="Without -f: the 20 Newsgroups archive (default: SPORTBOT_20NEWS)."
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Accept every recommendation."),
    model: str | None = typer.Option(None, help="Base model (default: SPORTBOT_BASE_MODEL)."),
    fmt: Format | None = typer.Option(None, "--format", help="Default: from the model."),
    compat: Compat = typer.Option(Compat.default, help="legacy: repeat the old tool exactly."),
    max_tokens: int | None = typer.Option(
        None, min=1, help="Longest example in tokens (default: the model's limit)."
    ),
    epochs: int | None = typer.Option(None, min=1, help="For the cost estimate."),
    out_dir: Path | None = typer.Option(
        None, help="Where the prepared files go (default: beside -f, or here)."
    ),
) -> None:
    """Check a fine-tuning data set, fix what it recommends, write train/valid JSONL."""

    def action(settings: Settings) -> None:
        console = out()
        if file is not None:
            df, base = prep.read_input(file), (out_dir / file.name if out_dir else file)
        else:
            from training.data import sport_prompts

            archive = source(settings, data_path)
            console.print(
                f"Using the built-in data set: the sports training posts from {archive.describe()}"
            )
            df = sport_prompts("train", source=archive)
            base = (out_dir or Path.cwd()) / "sport2"
        accept = _asker(console, quiet)
        chosen = model or settings.training.base_model
        prepared = prep.prepare(
            df,
            model=chosen,
            fmt=fmt.value if fmt else None,
            compat=compat.value,
            max_tokens=max_tokens,
            accept=accept,
        )
        train_path, valid_path = prep.write_prepared(prepared, base)
        _report(console, settings, prepared, train_path, valid_path, epochs)

    run(action)


def _asker(console: Console, quiet: bool) -> Callable[[prep.Finding], bool]:
    """How recommendations are answered: print each finding, then ask or accept."""
    ask = not quiet and common.stdin_is_tty()
    if not quiet and not ask:
        console.print("stdin is not a terminal: accepting every recommendation (as with -q).")

    def accept(finding: prep.Finding) -> bool:
        if not ask:
            return True
        _print_finding(console, finding)
        return typer.confirm(f"  {finding.recommendation}?", default=True)

    return accept


def _print_finding(console: Console, finding: prep.Finding, applied: bool | None = None) -> None:
    console.print(f"- [bold]{finding.name}[/bold]: {escape(finding.found)}")
    if finding.recommendation:
        done = {None: "", True: " [green]done[/green]", False: " [yellow]skipped[/yellow]"}
        console.print(f"  {finding.kind}: {escape(finding.recommendation)}{done[applied]}")


def _report(console, settings, prepared, train_path, valid_path, epochs) -> None:
    console.print("\nChecks:")
    for finding, applied in prepared.findings:
        _print_finding(console, finding, applied)
    if not prepared.token_exact:
        console.print(f"[yellow]Note: {escape(prepared.token_note)}.[/yellow]")
    epochs = epochs or settings.training.epochs
    console.print(f"\nWrote {prepared.fmt} files for {prepared.model}:")
    tokens = prep.file_tokens(prepared.train, prepared)
    console.print(f"  {escape(str(train_path))}: {len(prepared.train)} examples, {tokens} tokens")
    if valid_path is not None:
        valid_tokens = prep.file_tokens(prepared.valid, prepared)
        console.print(
            f"  {escape(str(valid_path))}: {len(prepared.valid)} examples, {valid_tokens} tokens"
        )
    cost = prep.estimate_cost(tokens, epochs, prepared.model, settings.training.prices)
    if cost is None:
        console.print(
            f"No price configured for {prepared.model}: set SPORTBOT_TRAINING_PRICES to estimate."
        )
    else:
        console.print(f"Estimated training cost: ${cost:.2f} ({tokens} tokens x {epochs} epochs)")
    ours, openai_call = prep.next_steps(prepared, train_path, valid_path, epochs)
    console.print(
        f"\nNext step:\n  {escape(ours)}\nor with the OpenAI API:\n  {escape(openai_call)}"
    )
    if prepared.fmt == "completion" and prepared.separator:
        console.print(
            f"Prompts sent to the fine-tuned model must end with `{prep.show(prepared.separator)}`."
        )
