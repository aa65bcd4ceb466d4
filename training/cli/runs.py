"""``sportbot runs`` (list, cancel, resume): training runs from the command line.

Thin over ``training.pipeline`` and ``training.storage.runs``, imported when a
command runs. Imports only typer, rich and ``training``.
"""

from __future__ import annotations

import typer
from rich.markup import escape

from training.cli.common import database, out, run, with_status
from training.cli.train import print_outcome
from training.config import Settings

runs_app = typer.Typer(help="Training runs: list, cancel, resume.", invoke_without_command=True)


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    limit: int = typer.Option(20, min=1, help="How many runs to show, newest first."),
) -> None:
    """List training runs (newest first)."""
    if ctx.invoked_subcommand is not None:
        return

    def action(settings: Settings) -> None:
        from training.storage.runs import RunStore

        runs = RunStore(database(settings)).list(limit=limit)
        if not runs:
            out().print("No training runs yet: run `sportbot train`.")
            return
        console = out()
        # Plain lines, not a table: job ids stay whole (and greppable) in narrow terminals.
        console.print(
            "   id  backend        status       accuracy  promoted  started           job / model"
        )
        for info in runs:
            accuracy = f"{info.accuracy:.4f}" if info.accuracy is not None else "-"
            promoted = {None: "-", True: "yes", False: "no"}[info.promoted]
            what = info.job_id or "-"
            if info.model_id:
                what += f" -> {info.model_id}"
            line = (
                f"{info.id:>5}  {info.backend:<13}  {info.status:<11}  {accuracy:>8}  {promoted:<8}"
                f"  {info.created_at:%Y-%m-%d %H:%M}  {what}"
            )
            console.print(escape(line))
            if info.error:
                console.print(f"       [red]{escape(info.error)}[/red]")

    run(action)


@runs_app.command("cancel")
def runs_cancel(run_id: int = typer.Argument(..., help="The run to cancel.")) -> None:
    """Cancel a run and its OpenAI fine-tuning job."""

    def action(settings: Settings) -> None:
        from training.pipeline import run as pipeline

        info = pipeline.cancel(pipeline.context(settings, database(settings)), run_id)
        out().print(f"Run {info.id} cancelled" + (f" (job {info.job_id})." if info.job_id else "."))

    run(action)


@runs_app.command("resume")
def runs_resume(
    run_id: int | None = typer.Argument(None, help="Only this run (default: every unfinished)."),
    poll_interval: float | None = typer.Option(None, min=0.0, help="Seconds between polls."),
    force: bool = typer.Option(
        False, help="Promote even when worse than the active model or lacking a label it has."
    ),
) -> None:
    """Resume unfinished runs: poll their jobs (never launching a second one) and finish them."""

    def action(settings: Settings) -> None:
        from training.pipeline import run as pipeline

        db = database(settings)

        def work(progress):
            ctx = pipeline.context(
                settings, db, progress=progress, poll_interval=poll_interval, force=force
            )
            return pipeline.resume(ctx, run_id)

        outcomes = with_status("Resuming…", work)
        if not outcomes:
            out().print("No unfinished runs.")
        for outcome in outcomes:
            print_outcome(out(), outcome)

    run(action)
