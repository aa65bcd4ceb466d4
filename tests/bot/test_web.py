"""Serving: signatures, /healthz, gunicorn, start-up configuration errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.startup import gunicorn_argv, gunicorn_executable
from bot.web import Router
from tests.bot.conftest import SECRET, FakeClassifier, ServedBot, wait_until
from training.storage.database import Database, make_engine

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_forged_signature_is_refused(bot):
    reply = bot.command("the goalie", signature="v0=" + "0" * 64)

    assert reply.status == 401


@pytest.mark.e2e
def test_stale_timestamp_is_refused(bot):
    reply = bot.command("the goalie", timestamp=int(time.time()) - 600)

    assert reply.status == 401


@pytest.mark.e2e
def test_healthz_answers_200_when_the_database_answers(bot):
    reply = bot.get("/healthz")

    assert (reply.status, reply.text) == (200, "ok\n")


@pytest.mark.unit
def test_healthz_answers_503_when_the_database_does_not(bot, tmp_path):
    broken = Database(make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"))

    status, _ = Router(bot.wsgi_app.app, broken).health()

    assert status.startswith("503")


@pytest.mark.unit
def test_procfile_web_line_is_the_served_command():
    procfile = (REPO / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))

    expected = " ".join(gunicorn_argv(0, workers=1)).replace(":0", ":$PORT")
    expected = expected.replace("--workers 1", "--workers ${WEB_CONCURRENCY:-1}")
    assert web.replace("'", "") == "web: gunicorn " + expected
    assert "worker: sportbot serve --socket" in procfile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SPORTBOT_"))}
    return {**env, "SPORTBOT_HOME": os.environ["SPORTBOT_HOME"], **changes}


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["sportbot", "gunicorn"])
def test_missing_signing_secret_stops_with_one_line(command):
    if command == "sportbot":
        argv = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--http"]
    else:
        argv = [*gunicorn_executable(), *gunicorn_argv(_free_port())]
    result = subprocess.run(
        argv,
        env=_env(SLACK_BOT_TOKEN="xoxb-test"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "SLACK_SIGNING_SECRET" in line]
    assert len(errors) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_gunicorn_serves_healthz_and_signed_commands(slack_api, tmp_path):
    port = _free_port()
    env = _env(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api.url,
        SPORTBOT_HOME=str(tmp_path / "served"),
        PORT=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--http"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = _Client(port, slack_api)
        wait_until(lambda: _health(client), timeout=30)
        reply = client.command("the goalie stopped the puck")
        assert reply.status == 200
        assert "No model yet" in reply.text  # a fresh home: the error handler's advice
    finally:
        process.terminate()
        process.wait(10)


class _Client(ServedBot):
    """ServedBot's signed requests, aimed at a server running in another process."""

    def __init__(self, port: int, slack_api) -> None:
        self.port, self.slack_api, self.secret = port, slack_api, SECRET
        self._ids = iter(range(1, 1_000_000))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _health(client: _Client) -> bool:
    try:
        return client.get("/healthz").status == 200
    except OSError:
        return False


@pytest.mark.unit
def test_manifest_declares_what_the_app_handles():
    # Text checks: PyYAML is not a dependency, and these lines are what Slack reads.
    manifest = (REPO / "manifest.yml").read_text()

    for line in (
        "- command: /sport",
        "callback_id: classify_message",
        "home_tab_enabled: true",
        "- message.channels",
        "- message.groups",
        "- reaction_added",
        "- reaction_removed",
        "- app_home_opened",
        "- reactions:write",
        "- users:read",
    ):
        assert line in manifest
    assert manifest.count("https://YOUR-HOST/slack/events") == 3


def _bot_scopes(manifest: str) -> list[str]:
    lines = manifest.splitlines()
    start = lines.index("    bot:") + 1
    scopes = []
    for line in lines[start:]:
        if not line.startswith("      - "):
            break
        scopes.append(line.removeprefix("      - ").strip())
    return scopes


@pytest.mark.unit
def test_only_used_scopes_each_justified_in_one_readme_line():
    import re

    manifest = (REPO / "manifest.yml").read_text()
    readme = (REPO / "README.md").read_text()
    scopes = _bot_scopes(manifest)
    # nothing calls conversations.list/info or conversations.open
    assert sorted(scopes) == sorted(
        [
            "commands",
            "chat:write",
            "reactions:read",
            "reactions:write",
            "channels:history",
            "groups:history",
            "users:read",
            "files:write",
        ]
    )
    for scope in scopes:
        [line] = [ln for ln in readme.splitlines() if ln.startswith(f"- `{scope}`: ")]
        assert len(line) > len(f"- `{scope}`: ") + 10, line
    # the report channel needs the bot invited (or chat:write.public): said where it is set up
    assert re.search(r"SPORTBOT_REPORT_CHANNEL.*not_in_channel", readme)
    assert "chat:write.public" in readme


@pytest.mark.unit
def test_every_file_the_manifest_and_readme_point_at_exists():
    import re

    manifest = (REPO / "manifest.yml").read_text()
    pointed = re.findall(r"\b(docs/[\w./-]+\.md)\b", manifest)
    assert "docs/slack-app.md" in pointed
    for text, base in ((manifest, REPO), ((REPO / "README.md").read_text(), REPO)):
        for target in re.findall(r"\]\(((?!https?:|#)[^)#]+)", text):
            assert (base / target).exists(), target
    guide = (REPO / "docs" / "slack-app.md").read_text()
    for target in re.findall(r"\]\(((?!https?:|#)[^)#]+)", guide):
        assert (REPO / "docs" / target).resolve().exists(), target
    for scope in _bot_scopes(manifest):
        assert f"| `{scope}` |" in guide


@pytest.mark.e2e
def test_healthz_is_not_200_until_the_active_model_is_loaded(serve, registered_model, monkeypatch):
    # The registered model takes as long to load as the test says.
    loading = threading.Event()
    loaded = threading.Event()

    def slow_loader(info, settings, **kwargs):
        loading.set()
        loaded.wait(10)
        return FakeClassifier(info.id)

    monkeypatch.setattr("bot.model_source.load_classifier", slow_loader)
    bot = serve()  # the registry's model, loaded in the background as in production
    assert loading.wait(10)

    while_loading = bot.get("/healthz")
    loaded.set()

    assert while_loading.status == 503
    assert "model" in while_loading.text
    wait_until(lambda: bot.get("/healthz").status == 200)
    assert "*hockey*" in bot.command("the goalie stopped the puck").text


@pytest.mark.e2e
def test_a_token_slack_refuses_stops_the_served_process_with_one_line(slack_api):
    slack_api.token_error("xoxb-revoked", "token_revoked")
    argv = [*gunicorn_executable(), *gunicorn_argv(_free_port())]  # the Procfile's web line
    env = _env(
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api.url,
    )

    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=REPO)

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "SLACK_BOT_TOKEN" in line]
    assert len(errors) == 1
    assert "token_revoked" in errors[0]
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stderr  # stopped before serving anything


@pytest.mark.e2e
def test_healthz_notices_the_sqlite_file_deleted_under_the_server(bot, database, settings):
    _sqlite_only(database)
    assert bot.get("/healthz").status == 200
    path = Path(database.engine.url.database)
    assert path.parent == settings.home  # the served database is this SQLite file
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)

    reply = bot.get("/healthz")

    assert (reply.status, reply.text) == (503, "database file gone\n")


@pytest.mark.e2e
def test_healthz_notices_the_sqlite_file_replaced_under_the_server(bot, database, tmp_path):
    _sqlite_only(database)
    assert bot.get("/healthz").status == 200
    path = Path(database.engine.url.database)
    other = tmp_path / "other.db"
    other.write_bytes(path.read_bytes())
    other.replace(path)  # a restore over the live file: another inode

    assert bot.get("/healthz").status == 503


def _sqlite_only(database: Database) -> None:
    if database.engine.url.get_backend_name() != "sqlite":
        pytest.skip("a SQLite file to delete")
