"""Real processes on one PostgreSQL database: gunicorn web processes, the clock, the CLI.

Each process is started the way the Procfile starts it (``bot.startup.gunicorn_argv``),
in a session of its own so a test can SIGKILL the master and its worker together.
Models are tiny LocalModels fitted on a few synthetic lines, registered and
promoted directly, so no test waits for real training.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.startup import gunicorn_argv, gunicorn_executable
from tests.bot.conftest import SECRET, ServedBot
from tests.postgres import fresh_database
from tests.standins.slack_api import SlackStandIn
from training.config import Settings

REPO = Path(__file__).resolve().parents[2]
SHARED_ARCHIVE = Path(
    os.environ.get("SPORTBOT_20NEWS") or REPO.parent / "shared/data/20news-bydate.tar.gz"
)
ADMIN = "UADMIN"

BASEBALL = ["the pitcher threw a curveball", "home run in the ninth inning", "batter struck out"]
HOCKEY = ["the goalie stopped the puck", "power play goal on the rink", "slapshot from the blue"]
OTHER = ["lunch at noon today", "the printer is jammed again", "meeting moved to friday"]


def tiny_texts(flip: bool = False) -> tuple[list[str], list[str]]:
    """Nine lines, three per label; ``flip`` swaps baseball and hockey (a visibly new model)."""
    first, second = ("hockey", "baseball") if flip else ("baseball", "hockey")
    texts = BASEBALL * 3 + HOCKEY * 3 + OTHER * 3
    labels = [first] * 9 + [second] * 9 + ["other"] * 9
    return texts, labels


def register_tiny_model(db: Any, directory: Path, *, flip: bool = False, promote: bool = True):
    """Fit, save, register (and promote) a tiny local model; its ModelInfo.

    ``db`` is a ``training.storage.database.Database`` or a database URL.
    """
    from training.classifiers.local import artifacts
    from training.classifiers.local.estimator import LocalModel
    from training.classifiers.scoring import files
    from training.storage.database import Database, make_engine
    from training.storage.registry import ModelRegistry

    texts, labels = tiny_texts(flip)
    # Without the shipped lists: a flipped model must say what its own texts taught it.
    model = LocalModel(word_features=2**12, char_features=2**12, max_iter=5, knowledge=False).fit(
        texts, labels
    )
    path = artifacts.save(model, directory)
    owned = isinstance(db, str)
    database = Database(make_engine(db)) if owned else db
    try:
        registry = ModelRegistry(database)
        info = registry.register(
            id=model.model_id,
            backend="local",
            labels=sorted(set(labels)),
            artifact_path=str(path),
            artifact_sha256=files.file_sha256(path),
            scorer_sha256=files.file_sha256(files.scorer_path(path)),
            metrics={"accuracy": 0.9},
        )
        return registry.promote(info.id) if promote else info
    finally:
        if owned:
            database.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for the module; skipped without TEST_DATABASE_URL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: multi-process PostgreSQL tests skipped")
    from training.storage.database import connect

    with fresh_database(url, "sportbot_sys") as db_url:
        home = tmp_path_factory.mktemp("migrate")
        connect(Settings(home=home, database_url=db_url)).engine.dispose()  # migrate once
        yield db_url


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    """One Slack stand-in for every process of the module."""
    standin = SlackStandIn()
    for user in (ADMIN, "UALICE", "UBOB"):
        standin.set_user(user)
    yield standin
    standin.close()


def base_env(**changes: str) -> dict[str, str]:
    """This environment without credentials or proxies, plus ``changes``."""
    dropped = ("SLACK_", "SPORTBOT_", "OPENAI_", "DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    return {**env, **changes}


def app_env(db_url: str, slack: SlackStandIn, home: Path, **changes: str) -> dict[str, str]:
    """What a sportbot process needs: the database, the Slack stand-in, an admin, a home."""
    return base_env(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-system-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        SPORTBOT_ADMINS=ADMIN,
        SPORTBOT_HOME=str(home),
        **changes,
    )


class Process:
    """A child process in its own session, its output in a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.popen: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole session (gunicorn's master and its worker) and reap the master."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)
        if sig == signal.SIGKILL:
            _wait_session_gone(self.popen.pid)


def _wait_session_gone(pgid: int, timeout: float = 5.0) -> None:
    # SIGKILL to the group kills the worker too, but it is reaped by init: wait for it.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


class Web(Process):
    """A gunicorn web process (the Procfile's ``web:`` line) and a signed-request client."""

    def __init__(self, env: dict[str, str], log: Path, slack: SlackStandIn) -> None:
        self.port = free_port()
        argv = [*gunicorn_executable(), *gunicorn_argv(self.port)]
        super().__init__(argv, {**env, "PORT": str(self.port)}, log)
        self.client = RemoteBot(self.port, slack)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /healthz answers 200 and the active model has loaded (a /sport answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"web process exited:\n{self.output()[-3000:]}")
            if self._answers():
                return
            time.sleep(0.1)
        raise AssertionError(f"web process not ready:\n{self.output()[-3000:]}")

    def _answers(self) -> bool:
        try:
            if self.client.get("/healthz").status != 200:
                return False
            reply = self.client.command("the goalie stopped the puck")
        except OSError:
            return False
        return reply.status == 200 and "still loading" not in reply.text


class RemoteBot(ServedBot):
    """ServedBot's signed Slack requests, aimed at a server in another process."""

    def __init__(self, port: int, slack_api: SlackStandIn, secret: str = SECRET) -> None:
        self.port, self.slack_api, self.secret = port, slack_api, secret
        self._ids = iter(range(1, 1_000_000))
        self.prefix = uuid.uuid4().hex[:6]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def event(self, event: dict[str, Any], **kwargs: Any):
        # Event ids unique across clients: two processes' clients must not collide.
        kwargs.setdefault("event_id", f"Ev{self.prefix}{next(self._ids):08d}")
        return super().event(event, **kwargs)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Processes a test starts; every one still running is SIGKILLed afterwards."""
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


def sportbot_cli(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    """``sportbot ARGS`` in a subprocess."""
    argv = [sys.executable, "-c", "from bot.cli import main; main()", *args]
    return subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def poll(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """``check()``'s first truthy value; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
