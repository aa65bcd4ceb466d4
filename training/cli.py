"""The ``sportbot`` command line: a thin layer over pure functions.

Every command runs through ``run``: it loads ``Settings.from_env()`` and turns
any ``SportbotError`` into one red line on stderr and exit status 1, so bad
input never shows a traceback. Commands print; the work happens elsewhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from training import prepare as prep
from training.config import Settings
from training.errors import SportbotError

app = typer.Typer(help="sportbot: tell baseball from hockey.", no_args_is_help=True)
T = TypeVar("T")


def out() -> Console:
    """Standard output; built per call so test runners' captured streams are used."""
    return Console(highlight=False, soft_wrap=True)


def run(action: Callable[[Settings], T]) -> T:
    """Run ``action`` with the environment's settings; a SportbotError exits 1 with one line."""
    try:
        return action(Settings.from_env())
    except SportbotError as error:
        message = " ".join(str(error).split())
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[red]Error: {escape(message)}[/red]"
        )
        raise typer.Exit(1) from None


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


# ---------------------------------------------------------------- data


class Subset(StrEnum):
    train = "train"
    test = "test"


class Groups(StrEnum):
    sports = "sports"
    other = "other"


@app.command()
def data(
    data_path: Path | None = typer.Option(
        None, "--data", help="20news-bydate.tar.gz or its folder (default: SPORTBOT_20NEWS)."
    ),
    subset: Subset = typer.Option(Subset.train, help="Which half of the data set."),
    groups: Groups = typer.Option(Groups.sports, help="The two sports, or the 18 other groups."),
) -> None:
    """Show the posts per class and the first post, as the walkthrough's notebook did."""

    def action(settings: Settings) -> None:
        from training.data import OTHER_GROUPS, SPORT_GROUPS, load_newsgroups

        wanted = SPORT_GROUPS if groups is Groups.sports else OTHER_GROUPS
        posts = load_newsgroups(subset.value, wanted, source=_source(settings, data_path))
        console = out()
        counts = posts["group"].value_counts().sort_index()
        console.print(f"{len(posts)} {subset.value} posts")
        for group, count in counts.items():
            console.print(f"  {group:<26} {count}")
        console.print(f"\nFirst post ({posts['group'].iloc[0]}):\n")
        console.print(escape(posts["text"].iloc[0]))

    run(action)


def _source(settings: Settings, path: Path | None):
    from training.data import Source

    return Source(path or settings.twenty_news, settings.cache_dir)


# ---------------------------------------------------------------- prepare


class Format(StrEnum):
    completion = "completion"
    chat = "chat"


class Compat(StrEnum):
    default = "default"
    legacy = "legacy"


@app.command()
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

            source = _source(settings, data_path)
            console.print(
                f"Using the built-in data set: the sports training posts from {source.describe()}"
            )
            df = sport_prompts("train", source=source)
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
    ask = not quiet and _stdin_is_tty()
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
