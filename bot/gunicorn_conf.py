"""gunicorn settings shared by every way of serving (``--config python:bot.gunicorn_conf``).

The command line sets bind/workers/threads/timeout; this module adds the
start-up check: a missing SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET, or a
database that does not answer, stops the master with one line, instead of
workers failing to boot with a traceback (and gunicorn restarting them).
"""

from __future__ import annotations

import sys

from training.config import Settings
from training.errors import SportbotError

accesslog = None  # Slack retries are visible in the app's logs; no per-request lines


def on_starting(server: object) -> None:
    try:
        settings = Settings.from_env()
        settings.slack.require("bot_token", "signing_secret")
        check_database(settings)
    except SportbotError as error:
        print(f"Error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)


def check_database(settings: Settings) -> None:
    """DatabaseUnavailableError (one line, password hidden) unless the database answers."""
    from training.db import connect

    # No migration here: each worker migrates in create_app; this only proves reachability.
    connect(settings, migrate=False).engine.dispose()
