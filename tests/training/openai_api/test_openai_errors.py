"""Issue 15, item 3: every OpenAI call goes through one error boundary.

An openai exception never leaves sportbot: each call of the fine-tuning
stages (upload, create, list, retrieve, events, cancel, content) and the
completions a fine-tuned model answers raise one of ours, and the CLI ends an
expected failure (wrong key, unreachable endpoint) with one line and exit 1.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import openai
import pytest
from typer.testing import CliRunner

from training.errors import (
    FineTuningRefusedError,
    OpenAIAuthError,
    OpenAIError,
    OpenAINotFoundError,
    OpenAIUnreachableError,
)
from training.openai_api import jobs as openai_jobs

pytestmark = pytest.mark.e2e

ROWS = [
    {"prompt": "The goalie stopped the puck\n\n###\n\n", "completion": " hockey"},
    {"prompt": "A home run in the ninth inning\n\n###\n\n", "completion": " baseball"},
]


def _prepared(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS * 10), encoding="utf-8")
    return path


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _existing_job(openai_api) -> dict:
    return openai_api.add_job(metadata={"sportbot_run": "1"}, status="succeeded")


def _calls(tmp_path: Path):
    path = _prepared(tmp_path)
    return {
        "upload": lambda c, job: openai_jobs.upload(c, path),
        "create": lambda c, job: openai_jobs.create_job(
            c,
            run_id=1,
            model="babbage-002",
            training_file=job["training_file"],
            validation_file=None,
            epochs=1,
        ),
        "list": lambda c, job: openai_jobs.find_job(c, 1, sleep=lambda s: None),
        "retrieve": lambda c, job: openai_jobs.retrieve(c, job["id"], sleep=lambda s: None),
        "events": lambda c, job: openai_jobs.new_events(c, job["id"], set(), sleep=lambda s: 0),
        "cancel": lambda c, job: openai_jobs.cancel(c, job["id"]),
        "content": lambda c, job: openai_jobs.download_results(
            c, c.fine_tuning.jobs.retrieve(job["id"]), sleep=lambda s: None
        ),
    }


CALLS = ["upload", "create", "list", "retrieve", "events", "cancel", "content"]


@pytest.mark.parametrize("name", CALLS)
def test_a_refused_key_is_our_error_on_every_fine_tuning_call(openai_api, tmp_path, name) -> None:
    job = _existing_job(openai_api)
    client = openai_api.client()
    call = _calls(tmp_path)[name]
    if name == "content":
        job_object = client.fine_tuning.jobs.retrieve(job["id"])
        openai_api.fail_next(401)
        with pytest.raises(OpenAIAuthError, match="OPENAI_API_KEY") as info:
            openai_jobs.download_results(client, job_object, sleep=lambda s: None)
    else:
        openai_api.fail_next(401)
        with pytest.raises(OpenAIAuthError, match="OPENAI_API_KEY") as info:
            call(client, job)
    assert not isinstance(info.value, openai.OpenAIError)
    assert info.value.__cause__ is None
    assert info.value.status_code == 401


@pytest.mark.parametrize("name", CALLS)
def test_an_unreachable_endpoint_is_our_error_on_every_call(openai_api, tmp_path, name) -> None:
    job = _existing_job(openai_api)
    client = openai.OpenAI(
        api_key="sk-test", base_url=_closed_port_url(), max_retries=0, timeout=2.0
    )
    call = _calls(tmp_path)[name]
    if name == "content":
        job_object = openai_api.client().fine_tuning.jobs.retrieve(job["id"])
        call = lambda c, job: openai_jobs.download_results(  # noqa: E731
            c, job_object, sleep=lambda s: None
        )
    with pytest.raises(OpenAIUnreachableError, match="OPENAI_BASE_URL"):
        call(client, job)


def test_a_missing_job_is_not_found(openai_api) -> None:
    with pytest.raises(OpenAINotFoundError, match="ftjob-nope") as info:
        openai_jobs.retrieve(openai_api.client(), "ftjob-nope", sleep=lambda s: None)
    assert info.value.code == "fine_tune_not_found"


def test_a_refused_job_is_fine_tuning_refused_and_says_what_to_do(openai_api, tmp_path) -> None:
    client = openai_api.client()
    file_id = openai_jobs.upload(client, _prepared(tmp_path))
    openai_api.refuse_fine_tuning()
    with pytest.raises(FineTuningRefusedError) as info:
        openai_jobs.create_job(
            client,
            run_id=1,
            model="babbage-002",
            training_file=file_id,
            validation_file=None,
            epochs=1,
        )
    message = str(info.value)
    assert "--backend local" in message
    assert "no longer available" in message  # OpenAI's own words
    assert info.value.status_code == 403


def test_a_bad_parameter_is_not_mistaken_for_a_closed_account(openai_api, tmp_path) -> None:
    client = openai_api.client()
    file_id = openai_jobs.upload(client, _prepared(tmp_path))
    with pytest.raises(OpenAIError) as info:
        openai_jobs.create_job(
            client,
            run_id=1,
            model="babbage-002",
            training_file=file_id,
            validation_file=None,
            epochs=99,
        )
    assert not isinstance(info.value, FineTuningRefusedError)
    assert "method" in str(info.value)


# -- the command line -------------------------------------------------------------------


def _train(monkeypatch, tmp_path: Path, *, key: str, base_url: str):
    from training import cli

    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("SPORTBOT_OPENAI_MAX_RETRIES", "0")
    monkeypatch.setenv("SPORTBOT_OPENAI_TIMEOUT", "2")
    path = _prepared(tmp_path)
    args = ["train", "--backend", "openai", "--train", str(path), "--valid", str(path)]
    return CliRunner().invoke(cli.app, args)


def _assert_one_error_line(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert len(lines) <= 12, result.output  # a few progress lines and the error, no dump
    for needle in needles:
        assert needle in errors[0]
    return errors[0]


def test_train_with_a_wrong_key_ends_with_one_line(openai_api, monkeypatch, tmp_path) -> None:
    openai_api.api_key = "sk-the-right-one"
    result = _train(monkeypatch, tmp_path, key="sk-wrong-key-1234", base_url=openai_api.base_url)
    line = _assert_one_error_line(result, "OPENAI_API_KEY")
    assert "1234" not in line  # not even the tail OpenAI echoes


def test_train_with_an_unreachable_endpoint_ends_with_one_line(monkeypatch, tmp_path) -> None:
    result = _train(monkeypatch, tmp_path, key="sk-test", base_url=_closed_port_url())
    _assert_one_error_line(result, "OPENAI_BASE_URL", "Cannot reach OpenAI")
