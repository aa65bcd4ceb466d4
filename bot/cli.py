"""The ``sportbot`` program: the training commands plus the long-running processes
(``scheduler``, ``serve``, ``tagger``), each started by ``bot.startup``. These live
in ``bot`` because ``training`` never imports ``bot``; ``training.cli.common.run`` reads
the settings once for the process."""

from __future__ import annotations

import typer

from training.cli import app
from training.cli.common import run
from training.config import Settings


@app.command()
def scheduler(
    force: bool = typer.Option(False, help="Retrain on every tick, even without new examples."),
) -> None:
    """Run the retraining schedule (SPORTBOT_RETRAIN_CRON) in this process (Procfile clock)."""
    from bot import startup

    run(lambda settings: startup.run_clock(settings, force=force))


@app.command()
def serve(
    port: int | None = typer.Option(None, "--port", help="HTTP port (default: $PORT or 3000)."),
    socket: bool | None = typer.Option(
        None,
        "--socket/--http",
        help="Socket Mode or HTTP (default: Socket Mode when SLACK_APP_TOKEN is set).",
    ),
) -> None:
    """Run the Slack app: gunicorn over HTTP, or Socket Mode."""
    from bot import startup

    def action(settings: Settings) -> None:
        use_socket = socket if socket is not None else bool(settings.slack.app_token)
        if use_socket:
            startup.run_socket_mode(settings)
        else:
            startup.exec_gunicorn(settings, port)

    run(action)


@app.command()
def tagger(
    parent: int | None = typer.Option(
        None, "--parent", help="Stop when this process (gunicorn's master) is gone."
    ),
    nice: int = typer.Option(0, "--nice", min=0, max=19, help="Lower the CPU priority by N."),
) -> None:
    """Classify stored channel messages and add their reactions.

    gunicorn's master runs one beside its workers when SPORTBOT_TAGGER=process.
    """
    from bot import startup

    run(lambda settings: startup.run_tagger(settings, parent=parent, niceness=nice))


def main() -> None:
    app()


if __name__ == "__main__":  # what gunicorn's master runs for its tagger
    main()
