"""Where every sportbot process starts: web (gunicorn's master and its workers),
Socket Mode, the tagger and the clock.

Each process reads ``Settings.from_env()`` once, at its start, and passes it down:
``sportbot`` commands in ``training.cli.common.run``, gunicorn's master in ``master_starting``
(its workers are forked from it), a WSGI worker in ``web_worker`` when another
server calls the factory. Each configures logging here too (``training.logs``).

* web: ``exec_gunicorn`` (``sportbot serve --http``) with ``gunicorn_argv``, the
  same command line as the Procfile's and the benchmarks'; the master's hooks
  (``bot/gunicorn_conf.py`` calls ``master_*``) and each worker's ``web_worker``;
* Socket Mode: ``run_socket_mode``;
* the tagger: ``run_tagger``, started by gunicorn's master (``tagger_argv``);
* the clock: ``run_clock`` (Procfile ``clock``), APScheduler's jobs in
  ``training.schedule``.

At the top it imports only ``training``'s settings, errors and logs; Bolt, the app
and the database inside each start function, so gunicorn's config, which imports
this module in the master, loads neither.

Bolt's Heroku example: 1 worker, 10 threads, no worker timeout (threads wait
on Slack and OpenAI; a timeout would kill them mid-request).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from training import logs
from training.config import Settings
from training.errors import ConfigError, SlackError, SportbotError

if TYPE_CHECKING:
    from bot.web import Router

log = logging.getLogger(__name__)

APP_FACTORY = "bot.web:create_app()"
THREADS = 10
# Set by gunicorn's master (bot/gunicorn_conf.py) when it runs the tagger process, for
# the workers it forks: without it ``web_worker`` tags in a thread of its own.
MASTER_TAGS = "SPORTBOT_MASTER_TAGS"
# How long the master keeps asking an unreachable Slack about the token before serving.
TOKEN_CHECK_SECONDS = 60.0
# The master's tagger runs below the workers' CPU priority.
TAGGER_NICENESS = 10


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
    log.info("Connected to Slack in Socket Mode")
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
    log.info("Tagger started (pid %d)", os.getpid())
    tagger.run(make_client(settings.slack))


def tagger_argv(parent: int, *, niceness: int = 0) -> list[str]:
    """The command gunicorn's master runs for its tagger (``sportbot tagger --parent PID``)."""
    return [
        *[sys.executable, "-m", "bot.cli", "tagger"],
        *["--parent", str(parent), "--nice", str(niceness)],
    ]


def run_clock(settings: Settings, *, force: bool = False) -> None:
    """The clock process (Procfile ``clock``): resume unfinished runs, then block on
    the retraining schedule."""
    from training.schedule import run_scheduler
    from training.storage.database import connect

    logs.configure()
    run_scheduler(settings, connect(settings), force=force)


# ---------------------------------------------------------------- web: gunicorn's master


class _Master:
    """What gunicorn's master holds between its hooks: its settings, its tagger."""

    settings: Settings | None = None
    stopping: threading.Event | None = None
    tagger: subprocess.Popen | None = None


def master_starting() -> None:
    """gunicorn's ``on_starting``: read the settings, and check them before any worker
    boots. A missing SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET, a token Slack refuses
    (``auth.test``), or a database that does not answer, stops the master with one
    line, instead of workers failing to boot with a traceback (and gunicorn
    restarting them) or serving while every answer fails. Slack unreachable is
    asked again for up to ``TOKEN_CHECK_SECONDS``, then the app serves anyway:
    acknowledgements need no call to Slack."""
    from bot.slack_client import check_token

    logs.configure()
    try:
        settings = Settings.from_env()
        settings.slack.require("bot_token", "signing_secret")
        check_database(settings)  # first: it answers at once, Slack may take retries
        check_token(settings.slack, give_up_after=TOKEN_CHECK_SECONDS)
    except SportbotError as error:
        print(f"Error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    _Master.settings = settings
    if settings.slack.tagger == "process":
        os.environ[MASTER_TAGS] = "1"  # before any worker is forked: they inherit it


def check_database(settings: Settings) -> None:
    """DatabaseUnavailableError (one line, password hidden) unless the database answers."""
    from training.storage.database import connect

    # No migration here: each worker migrates in web_worker; this only proves reachability.
    connect(settings, migrate=False).engine.dispose()


def master_ready() -> None:
    """gunicorn's ``when_ready``: with SPORTBOT_TAGGER=process, start the tagger process
    beside the workers and start it again whenever it dies."""
    settings = _Master.settings  # read by on_starting, which gunicorn calls first
    if settings is None or settings.slack.tagger != "process":
        return
    _Master.stopping = threading.Event()
    threading.Thread(
        target=_keep_tagger_running, args=(_Master.stopping,), name="tagger-watch", daemon=True
    ).start()


def master_exiting() -> None:
    """gunicorn's ``on_exit``: stop the tagger process."""
    if _Master.stopping is not None:
        _Master.stopping.set()
    process = _Master.tagger
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _keep_tagger_running(stopping: threading.Event) -> None:
    while not stopping.is_set():
        process = subprocess.Popen(tagger_argv(os.getpid(), niceness=TAGGER_NICENESS))
        _Master.tagger = process
        code = process.wait()
        if not stopping.is_set():
            print(f"sportbot tagger exited ({code}); starting it again", file=sys.stderr)
            time.sleep(1.0)


# ---------------------------------------------------------------- web: each worker


def web_worker(settings: Settings | None = None, **collaborators: Any) -> Router:
    """One web process's WSGI app (``bot.web.create_app``): the settings (read here
    when the server gave none), the database, the Bolt app, and who tags."""
    from bot.app import build_app
    from bot.web import Router
    from training.storage.database import connect

    settings = settings or Settings.from_env()
    settings.slack.require("bot_token", "signing_secret")
    logs.configure()
    db = collaborators.pop("db", None) or connect(settings)
    app = build_app(settings, db=db, **collaborators)
    # Runs in each gunicorn worker (no --preload), so the thread is not lost to a fork.
    app.sportbot.models.start_refreshing()
    if not _master_tags(settings):
        app.sportbot.tagger.start(app.client)
    # else the tagger process gunicorn's master started (master_ready) tags.
    return Router(app, db)


def _master_tags(settings: Settings) -> bool:
    """Whether gunicorn's master runs the tagger process for this worker. With
    SPORTBOT_TAGGER=process but served some other way (gunicorn without
    ``--config python:bot.gunicorn_conf``, another WSGI server), nothing would tag
    the stored messages: this process tags them in a thread, and says so."""
    if settings.slack.tagger != "process":
        return False
    if os.environ.get(MASTER_TAGS):
        return True
    log.warning(
        "SPORTBOT_TAGGER=process, but no tagger process was started for this app (serve "
        "it with `sportbot serve` or gunicorn --config python:bot.gunicorn_conf): "
        "tagging in this process instead"
    )
    return False
