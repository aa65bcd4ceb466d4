"""Issue 15, item 9: a paused fine-tuning job.

OpenAI's jobs can be ``paused``. sportbot shows it (progress, `sportbot runs`,
/sport status), `runs cancel` works on it, and a paused job holds the one-run
lock only for SPORTBOT_PAUSED_LIMIT_SECONDS: then the run ends as ``paused``,
releases the lock, and `runs resume` takes it up once the job runs again.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.training.pipeline.test_pipeline import cli_env, create_job_id  # noqa: F401
from training.openai_api import jobs as openai_jobs

pytestmark = pytest.mark.e2e


def _args(cli_env) -> list[str]:  # noqa: F811
    train_path, valid_path = cli_env
    return ["train", "--backend", "openai", "--train", str(train_path), "--valid", str(valid_path)]


def test_a_paused_job_ends_the_wait_releases_the_lock_and_resumes_later(
    cli_env,  # noqa: F811
    openai_api,
    monkeypatch,
) -> None:
    from bot.blocks import status_text
    from training.cli import app
    from training.config import Settings
    from training.storage.database import connect
    from training.storage.runs import RunStore

    monkeypatch.setenv("SPORTBOT_PAUSED_LIMIT_SECONDS", "0")
    runner = CliRunner()
    assert runner.invoke(app, [*_args(cli_env), "--no-wait"]).exit_code == 0
    job_id = create_job_id(openai_api)
    openai_api.script(job_id, ["running", "paused"])  # then it stays paused

    waited = runner.invoke(app, ["runs", "resume"])

    assert waited.exit_code == 1
    assert "Traceback" not in waited.output
    assert f"Job {job_id} is paused" in waited.output  # shown in progress
    [line] = [line for line in waited.output.splitlines() if line.startswith("Error:")]
    assert "SPORTBOT_PAUSED_LIMIT_SECONDS" in line
    assert "sportbot runs resume 1" in line
    db = connect(Settings.from_env())
    runs = RunStore(db)
    assert runs.get(1).status == "paused"
    assert runs.lock_holder() is None  # the lock is released
    assert "paused" in runner.invoke(app, ["runs"]).output
    assert "run #1: paused" in status_text(None, runs.get(1))  # what /sport status says

    still = runner.invoke(app, ["runs", "resume"])
    assert still.exit_code == 0, still.output
    assert "still paused" in still.output
    assert runs.lock_holder() is None  # a still-paused job takes no lock

    openai_api.client().fine_tuning.jobs.resume(job_id)
    openai_api.script(job_id, ["succeeded"])
    resumed = runner.invoke(app, ["runs", "resume", "1"])
    assert resumed.exit_code == 0, resumed.output
    assert "is active" in resumed.output
    assert runs.get(1).status == "succeeded"
    assert runs.lock_holder() is None
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


def test_a_paused_run_does_not_block_another_run(cli_env, openai_api, monkeypatch) -> None:  # noqa: F811
    from training.cli import app

    monkeypatch.setenv("SPORTBOT_PAUSED_LIMIT_SECONDS", "0")
    runner = CliRunner()
    assert runner.invoke(app, [*_args(cli_env), "--no-wait"]).exit_code == 0
    openai_api.script(create_job_id(openai_api), ["running", "paused"])
    assert runner.invoke(app, ["runs", "resume"]).exit_code == 1

    second = runner.invoke(app, [*_args(cli_env), "--no-wait"])

    assert second.exit_code == 0, second.output
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 2


def test_runs_cancel_works_on_a_paused_job(cli_env, openai_api) -> None:  # noqa: F811
    from training.cli import app

    runner = CliRunner()
    assert runner.invoke(app, [*_args(cli_env), "--no-wait"]).exit_code == 0
    job_id = create_job_id(openai_api)
    openai_api.advance(job_id, "running")
    openai_api.advance(job_id, "paused")

    cancelled = runner.invoke(app, ["runs", "cancel", "1"])

    assert cancelled.exit_code == 0, cancelled.output
    assert openai_api.jobs[job_id]["status"] == "cancelled"
    assert "cancelled" in runner.invoke(app, ["runs"]).output


def test_poll_gives_up_on_a_paused_job_only_after_the_limit(openai_api, tmp_path) -> None:
    client = openai_api.client()
    path = tmp_path / "t.jsonl"
    path.write_text('{"prompt": "a ->", "completion": " baseball"}\n')
    job = openai_jobs.create_job(
        client,
        run_id=1,
        model="babbage-002",
        training_file=openai_jobs.upload(client, path),
        validation_file=None,
        epochs=1,
    )
    openai_api.advance(job.id, "running")
    openai_api.advance(job.id, "paused")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    final = openai_jobs.poll(
        client,
        job.id,
        interval=30,
        on_update=lambda *a: None,
        sleep=sleep,
        paused_limit=120,
        clock=lambda: now[0],
    )

    assert final.status == "paused"
    assert now[0] == 120  # four waits of 30 s, then it stops waiting
