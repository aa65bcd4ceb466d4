"""Process start-up: the gunicorn command line, Socket Mode and the tagger process.

The gunicorn command line is the same for the Procfile, `sportbot serve` and the benchmarks.

Bolt's Heroku example: 1 worker, 10 threads, no worker timeout (threads wait
on Slack and OpenAI; a timeout would kill them mid-request).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from typing import Any

from training import logs
from training.config import Settings
from training.errors import ConfigError, SlackError

APP_FACTORY = "bot.web:create_app()"
THREADS = 10
# Set by gunicorn's master (bot/gunicorn_conf.py) when it runs the tagger process, for
# the workers it forks: without it ``create_app`` tags in a thread of its own.
MASTER_TAGS = "SPORTBOT_MASTER_TAGS"


def gunicorn_argv(
    port: int, *, workers: int = 1, app: str = APP_FACTORY, quiet: bool = False
) -> list[str]:
    """The arguments after ``gunicorn`` (the Procfile's ``web:`` line, expanded)."""
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
    command = [
        *gunicorn_executable(),
        *gunicorn_argv(port or settings.slack.port, workers=settings.slack.web_concurrency),
    ]
    os.execv(command[0], command)


def run_socket_mode(settings: Settings) -> None:
    """Connect to Slack over a WebSocket (no public URL needed); blocks until stopped."""
    import logging

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.slack_client import check_token

    settings.slack.require("bot_token", "app_token")
    logs.configure()
    # Nothing works over Socket Mode without Slack: wait for it, however long.
    check_token(settings.slack, give_up_after=None)
    app = build_app(settings)
    app.sportbot.models.start_refreshing()
    app.sportbot.tagger.start(app.client)  # one process: it tags in a thread
    handler = SocketModeHandler(app, settings.slack.app_token)
    connect_socket(handler)
    logging.getLogger(__name__).info("Connected to Slack in Socket Mode")
    threading.Event().wait()


def connect_socket(handler: Any) -> None:
    """Open the Socket Mode connection; a token Slack refuses is one line naming it."""
    from slack_sdk.errors import SlackApiError

    try:
        handler.connect()
    except SlackApiError as error:
        code = error.response.get("error", "refused")
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({code}): use an app-level token (xapp-...) "
            "with the connections:write scope, from Basic Information > App-Level Tokens."
        ) from None
    except OSError as error:  # URLError and connection errors
        raise SlackError(
            f"Cannot reach Slack to open the Socket Mode connection ({error}); "
            "check the network and retry."
        ) from None


def run_tagger(settings: Settings, *, parent: int | None = None, niceness: int = 0) -> None:
    """The tagger process: tag the messages web processes store, until SIGTERM
    (or, with ``parent``, until that process is gone, e.g. SIGKILLed). ``niceness``
    lowers its CPU priority below the web processes' on a shared machine."""
    import logging
    import signal

    from bot.app import services
    from bot.slack_client import make_client
    from training.storage.database import connect

    settings.slack.require("bot_token")
    if niceness:
        os.nice(niceness)
    logs.configure()
    collaborators = services(settings, connect(settings))
    collaborators.models.start_refreshing()
    tagger = collaborators.tagger
    signal.signal(signal.SIGTERM, lambda *_: tagger.stop())
    if parent is not None:

        def follow_parent() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            tagger.stop()

        threading.Thread(target=follow_parent, name="follow-parent", daemon=True).start()
    logging.getLogger(__name__).info("Tagger started (pid %d)", os.getpid())
    tagger.run(make_client(settings.slack))


def tagger_argv(parent: int, *, niceness: int = 0) -> list[str]:
    """The command gunicorn's master runs for its tagger (``sportbot tagger --parent PID``)."""
    return [
        *[sys.executable, "-m", "bot.cli", "tagger"],
        *["--parent", str(parent), "--nice", str(niceness)],
    ]
