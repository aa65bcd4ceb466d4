"""``sportbot examples``: list, export and reject what people taught in Slack.

Added to the ``sportbot`` command line by ``training.cli``. Thin over
``training.storage.votes`` and ``training.pipeline.collect``, imported when a command runs;
imports only typer, rich and ``training``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from training.cli.common import out, run
from training.storage.teaching import STATES

examples_app = typer.Typer(
    help="People's labels from Slack: list, export, reject.", invoke_without_command=True
)


@examples_app.callback()
def examples_list(
    ctx: typer.Context,
    limit: int = typer.Option(20, min=1, help="How many to show, newest first."),
    user: str | None = typer.Option(None, help="Only this person's (a Slack user id)."),
    state: str | None = typer.Option(None, help=f"Only one state: {', '.join(STATES)}."),
) -> None:
    """List labels people gave (newest first), with their state."""
    if ctx.invoked_subcommand is not None:
        return

    def action(settings) -> None:
        _check_state(state)
        corrections = _votes(settings).corrections(limit=limit, user=user, state=state)
        console = out()
        if not corrections:
            console.print("No labels from Slack yet.")
            return
        console.print("   id  state       label     by           when              text")
        for item in corrections:
            text = " ".join(item.text.split())
            text = text if len(text) <= 60 else text[:59] + "…"
            line = (
                f"{item.id:>5}  {item.state:<10}  {item.label:<8}  {item.user or '-':<11}"
                f"{'*' if item.is_admin else ' '} {item.created_at:%Y-%m-%d %H:%M}  {text}"
            )
            console.print(escape(line))

    run(action)


@examples_app.command("export")
def examples_export(
    path: Path | None = typer.Argument(None, help="Where to write (default: standard output)."),
    every: bool = typer.Option(
        False, "--all", help="Every vote with its state, not the training set."
    ),
) -> None:
    """Export as JSONL: what the next training run learns from (one row per message,
    its label and weight), or with --all every vote ever given."""

    def action(settings) -> None:
        rows = _every_vote(settings) if every else _training_set(settings)
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        if path is None:
            sys.stdout.write(lines)
            return
        path.write_text(lines, encoding="utf-8")
        out().print(f"{len(rows)} rows written to {path}")

    run(action)


@examples_app.command("reject")
def examples_reject(
    ids: list[int] = typer.Argument(None, help="The ids to reject (see `sportbot examples`)."),
    user: str | None = typer.Option(None, help="Reject every accepted label of this person."),
) -> None:
    """Reject labels (kept, with their state, but never trained on)."""
    from training.errors import ConfigError

    def action(settings) -> None:
        if bool(ids) == bool(user):
            raise ConfigError("Give the ids to reject, or --user, not both.")
        count = _votes(settings).reject(by="cli", ids=ids or (), user=user)
        out().print(f"{count} label(s) rejected; the next training run leaves them out.")

    run(action)


def _votes(settings):
    from training.storage.database import connect
    from training.storage.votes import VoteStore

    return VoteStore(connect(settings))


def _training_set(settings) -> list[dict]:
    from training.classifiers.base import LABELS
    from training.pipeline.collect import taught_examples
    from training.storage.database import connect

    items = taught_examples(connect(settings), LABELS, settings.teaching)
    return [
        {
            "text": item.text,
            "label": item.label,
            "weight": item.weight,
            "key": item.key,
            "supporters": list(item.supporters),
        }
        for item in items
    ]


def _every_vote(settings) -> list[dict]:
    return [item.as_json() for item in reversed(_votes(settings).corrections())]


def _check_state(state: str | None) -> None:
    from training.errors import ConfigError

    if state is not None and state not in STATES:
        raise ConfigError(f"--state must be one of {', '.join(STATES)}, not {state!r}.")
