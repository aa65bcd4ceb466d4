"""How the app is served: one gunicorn command line for Procfile, `sportbot serve` and benchmarks.

Bolt's Heroku example: 1 worker, 10 threads, no worker timeout (threads wait
on Slack and OpenAI; a timeout would kill them mid-request).
"""

from __future__ import annotations

import os
import shutil
import sys

from training.config import Settings

APP_FACTORY = "bot.server:create_app()"
THREADS = 10


def gunicorn_argv(
    port: int, *, workers: int | None = None, app: str = APP_FACTORY, quiet: bool = False
) -> list[str]:
    """The arguments after ``gunicorn`` (the Procfile's ``web:`` line, expanded)."""
    workers = workers or int(os.environ.get("WEB_CONCURRENCY") or 1)
    argv = [
        "--config",
        "python:bot.gunicorn_conf",
        "--bind",
        f":{port}",
        "--workers",
        str(workers),
        "--threads",
        str(THREADS),
        "--timeout",
        "0",
    ]
    if quiet:
        argv += ["--log-level", "warning"]
    return [*argv, app]


def gunicorn_executable() -> list[str]:
    """gunicorn next to this Python (the venv's), else ``python -m gunicorn``."""
    script = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "gunicorn"]


def exec_gunicorn(settings: Settings, port: int | None) -> None:
    """Replace this process with gunicorn serving the app over HTTP."""
    settings.slack.require("bot_token", "signing_secret")
    command = [*gunicorn_executable(), *gunicorn_argv(port or settings.slack.port)]
    os.execv(command[0], command)


def run_socket_mode(settings: Settings) -> None:
    """Connect to Slack over a WebSocket (no public URL needed); blocks until stopped."""
    import logging

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app

    settings.slack.require("bot_token", "app_token")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = build_app(settings)
    app.sportbot["models"].start_refreshing()
    SocketModeHandler(app, settings.slack.app_token).start()
