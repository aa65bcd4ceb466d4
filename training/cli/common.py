"""What every ``sportbot`` command shares: the runner, the console, the data source.

``run`` loads ``Settings.from_env()`` (the one place a command reads the
environment) and turns any ``SportbotError`` into one red line on stderr and
exit status 1, so bad input never shows a traceback. Imports only typer, rich
and ``training``; the database and data modules are imported when used.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from training.config import Settings
from training.errors import SportbotError

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


def stdin_is_tty() -> bool:
    """Whether questions can be asked (tests replace it to answer them)."""
    return sys.stdin.isatty()


def source(settings: Settings, path: Path | None):
    """The 20 Newsgroups archive given on the command line, or the configured one."""
    from training.data import Source

    return Source(path or settings.twenty_news, settings.cache_dir)


def database(settings: Settings):
    from training.storage.database import connect

    return connect(settings)


def with_status(title: str, work: Callable[..., T], *, with_status: bool = False) -> T:
    """Run ``work(progress)`` (``work(progress, status)`` when ``with_status``) under a rich
    status line; each progress line is also logged."""
    console = Console(stderr=True, highlight=False, log_path=False)
    with console.status(title) as status:

        def progress(message: str) -> None:
            status.update(escape(message))
            console.log(escape(message))

        return work(progress, status) if with_status else work(progress)
