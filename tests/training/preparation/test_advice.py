"""Every command sportbot prints as advice runs as printed, with the real CLI."""

from __future__ import annotations

import ast
import json
import re
import shlex
import threading
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli import app  # the real `sportbot` program (pyproject scripts)
from tests.training.pipeline.test_pipeline import sports_frame
from training.storage.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[3]
ADVICE = re.compile(r"`(sportbot [^`]*)`")
runner = CliRunner()


def parse(args: list[str]) -> str:
    """Parse ``args`` as the real ``sportbot`` would (no such option, bad value: raises);
    the name of the command they reach."""
    command = typer.main.get_command(app)
    ctx = command.make_context("sportbot", list(args))
    rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
    while hasattr(command, "resolve_command") and rest:
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
    return command.name


def split_shell(line: str) -> tuple[dict[str, str], list[str]]:
    """A printed shell line as (leading VAR=value assignments, argv)."""
    words = shlex.split(line)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def advice_in_sources() -> list[tuple[str, str]]:
    """`sportbot ...` in the messages of training/ and bot/ (placeholders as 1), docstrings
    left out: what a person is told to type."""
    found = []
    for path in sorted([*REPO.glob("training/**/*.py"), *REPO.glob("bot/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    part.value if isinstance(part, ast.Constant) else "1" for part in node.values
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                text = node.value
            else:
                continue
            found += [(path.name, m.group(1)) for m in ADVICE.finditer(text)]
    return found


@pytest.mark.unit
def test_every_sportbot_command_in_a_message_parses() -> None:
    advice = advice_in_sources()
    assert ("runs.py", "sportbot runs cancel 1") in advice
    assert ("promotion.py", "sportbot train --force") in advice
    for where, line in advice:
        _env, words = split_shell(line)
        assert words[0] == "sportbot", (where, line)
        parse(words[1:])  # raises on an option or command the CLI does not have


@pytest.mark.unit
def test_parse_refuses_what_the_cli_refuses() -> None:
    """The check above means something: an option `train` lacks is an error."""
    assert parse(["train", "--backend", "openai"]) == "train"
    with pytest.raises(Exception, match="--epochs"):
        parse(["train", "--epochs", "4"])


def finish_jobs_as_they_come(openai_api, stop: threading.Event) -> threading.Thread:
    """Each job created runs to success over a few polls, as a real job would."""

    def loop() -> None:
        scripted: set[str] = set()
        while not stop.wait(0.02):
            for job_id in list(openai_api.jobs):
                if job_id not in scripted:
                    scripted.add(job_id)
                    openai_api.script(job_id, ["running", "succeeded"])

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def next_step(output: str) -> tuple[str, str]:
    match = re.search(r"Next step:\n  (.+)\nor with the OpenAI API:\n  (.+)\n", output)
    assert match, output
    return match.group(1), match.group(2)


@pytest.mark.e2e
def test_prepare_next_step_runs_as_printed(monkeypatch, tmp_path, openai_api) -> None:
    from tests.standins.openai_api import TEST_API_KEY

    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    monkeypatch.setenv("SPORTBOT_OPENAI_MAX_RETRIES", "0")
    monkeypatch.setenv("SPORTBOT_POLL_INTERVAL", "0")
    # the active model knows 'other'; the walkthrough's data set does not
    three = tmp_path / "three.jsonl"
    three.write_text(sports_frame(other=True).to_json(orient="records", lines=True))
    assert runner.invoke(app, ["prepare", "-f", str(three), "-q"]).exit_code == 0
    local = runner.invoke(
        app,
        [
            "train",
            "--train",
            str(tmp_path / "three_prepared_train.jsonl"),
            "--valid",
            str(tmp_path / "three_prepared_valid.jsonl"),
        ],
    )
    assert local.exit_code == 0, local.output

    folder = tmp_path / "a folder with 'quotes' $HOME"
    folder.mkdir()
    two = folder / "sport2.jsonl"
    two.write_text(sports_frame().to_json(orient="records", lines=True))
    prepared = runner.invoke(app, ["prepare", "-f", str(two), "-q", "--epochs", "3"])
    assert prepared.exit_code == 0, prepared.output
    ours, openai_call = next_step(prepared.output)

    env, words = split_shell(ours)
    assert words[0] == "sportbot"
    assert parse(words[1:]) == "train"
    stop = threading.Event()
    finish_jobs_as_they_come(openai_api, stop)
    try:
        refused = runner.invoke(app, words[1:], env=env)
        assert refused.exit_code == 0, refused.output
        [create] = openai_api.requests_to("/v1/fine_tuning/jobs", "POST")
        assert create.json["method"]["supervised"]["hyperparameters"] == {"n_epochs": 3}
        assert "'other'" in refused.output
        assert "--force" in refused.output
        assert active_backend() == "local"

        forced = runner.invoke(app, [*words[1:], "--force"], env=env)
        assert forced.exit_code == 0, forced.output
        assert "is active" in forced.output
    finally:
        stop.set()

    # the Python line runs as printed with an OpenAI client
    client = openai_api.client()
    exec(compile(openai_call, "<next step>", "exec"), {"client": client})
    jobs = openai_api.requests_to("/v1/fine_tuning/jobs", "POST")
    assert len(jobs) == 3
    body = jobs[-1].json
    assert body["method"]["supervised"]["hyperparameters"] == {"n_epochs": 3}
    assert body["training_file"]
    assert body["validation_file"]
    uploaded = [json.dumps(r.json) for r in openai_api.requests_to("/v1/files", "POST")]
    assert len(uploaded) == 6


def active_backend() -> str:
    from training.config import Settings
    from training.storage.database import connect

    return ModelRegistry(connect(Settings.from_env())).active().backend
