"""gunicorn settings shared by every way of serving (``--config python:bot.gunicorn_conf``).

The command line sets bind/workers/threads/timeout; this module adds:

* the start-up check: a missing SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET, a token
  Slack refuses (``auth.test``), or a database that does not answer, stops the
  master with one line, instead of workers failing to boot with a traceback
  (and gunicorn restarting them) or serving while every answer fails. Slack
  unreachable is asked again for up to ``TOKEN_CHECK_SECONDS``, then the app
  serves anyway: acknowledgements need no call to Slack;
* with ``SPORTBOT_TAGGER=process`` (the default), the tagger: the master starts
  ``sportbot tagger`` beside its workers, restarts it if it dies, and stops it on exit.
  Workers then only store each message and acknowledge; the tagger classifies
  and reacts, at a lower CPU priority (nice 10), so that acknowledging a burst
  of events does not share the worker's GIL with tagging. It follows the
  master: a SIGKILLed master takes its tagger along. The price is a second
  process (about 140 MB: it scores with the model's arrays, without scikit-learn).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from training import logs
from training.config import Settings
from training.errors import SportbotError

accesslog = None  # Slack retries are visible in the app's logs; no per-request lines
# How long the master keeps asking an unreachable Slack about the token before serving.
TOKEN_CHECK_SECONDS = 60.0


def on_starting(server: object) -> None:
    from bot.slack_client import check_token
    from bot.startup import MASTER_TAGS

    logs.configure()
    try:
        settings = Settings.from_env()
        settings.slack.require("bot_token", "signing_secret")
        check_database(settings)  # first: it answers at once, Slack may take retries
        check_token(settings.slack, give_up_after=TOKEN_CHECK_SECONDS)
    except SportbotError as error:
        print(f"Error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    if settings.slack.tagger == "process":
        os.environ[MASTER_TAGS] = "1"  # before any worker is forked: they inherit it


def check_database(settings: Settings) -> None:
    """DatabaseUnavailableError (one line, password hidden) unless the database answers."""
    from training.storage.database import connect

    # No migration here: each worker migrates in create_app; this only proves reachability.
    connect(settings, migrate=False).engine.dispose()


TAGGER_NICENESS = 10
_tagger: dict[str, object] = {}


def when_ready(server: object) -> None:
    if Settings.from_env().slack.tagger != "process":
        return
    stopping = threading.Event()
    _tagger["stopping"] = stopping
    threading.Thread(
        target=_keep_tagger_running, args=(stopping,), name="tagger-watch", daemon=True
    ).start()


def on_exit(server: object) -> None:
    stopping = _tagger.get("stopping")
    if isinstance(stopping, threading.Event):
        stopping.set()
    process = _tagger.get("process")
    if isinstance(process, subprocess.Popen) and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _keep_tagger_running(stopping: threading.Event) -> None:
    from bot.startup import tagger_argv

    while not stopping.is_set():
        process = subprocess.Popen(tagger_argv(os.getpid(), niceness=TAGGER_NICENESS))
        _tagger["process"] = process
        code = process.wait()
        if not stopping.is_set():
            print(f"sportbot tagger exited ({code}); starting it again", file=sys.stderr)
            time.sleep(1.0)
