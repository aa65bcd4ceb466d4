"""A retraining run end to end: the real openai client against the OpenAI stand-in,
a real slack_sdk WebClient against the Slack stand-in, tiny synthetic data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from slack_sdk import WebClient
from sqlalchemy import update

from training import preparation as prep
from training.classifiers.loading import load_classifier
from training.classifiers.scoring import files
from training.classifiers.scoring.scorer import ScoredModel
from training.config import OpenAISettings, SlackSettings, TrainingSettings
from training.errors import CostCapError, JobFailedError, RunInProgressError
from training.pipeline import promotion
from training.pipeline import run as pipeline
from training.pipeline.collect import Collected
from training.pipeline.context import RunRequest
from training.pipeline.run import train, train_local
from training.storage.registry import ModelRegistry
from training.storage.runs import RunStore
from training.storage.schema import ModelRecord

TEAMS_B = ["Yankees", "Red Sox", "Dodgers", "Mets", "Cubs", "Giants", "Astros", "Braves"]
TEAMS_H = ["Bruins", "Rangers", "Oilers", "Leafs", "Canucks", "Flames", "Jets", "Kings"]


def sports_frame(n: int = 30, *, other: bool = False) -> pd.DataFrame:
    """Unique baseball/hockey (and other) texts the stand-in's keyword scorer tells apart."""
    rows = []
    for i in range(n):
        team = TEAMS_B[i % len(TEAMS_B)]
        rows.append((f"The {team} hit a home run in inning {i} at the ballpark", "baseball"))
        team = TEAMS_H[i % len(TEAMS_H)]
        rows.append((f"The {team} goalie stopped the puck in period {i} on the rink", "hockey"))
        if other:
            rows.append((f"My compiler version {i} crashed while building the kernel", "other"))
    return pd.DataFrame(rows, columns=["prompt", "completion"])


def collector(frame: pd.DataFrame | None = None, upto: int = 0):
    frame = sports_frame() if frame is None else frame
    return lambda db: Collected(frame=frame, examples_upto=upto, counts={})


@pytest.fixture
def ft_settings(settings, openai_api, slack_api):
    return settings.with_changes(
        openai=openai_api.settings(),
        slack=SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, report_channel="C0REP"),
        training=TrainingSettings(poll_interval=0.0, epochs=2),
    )


def slack_client(slack_api) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack_api.url)


def auto_finish(openai_api):
    """Let every job created run to success over a few polls (as a real job would)."""

    def scorer_hook():
        for job_id, job in list(openai_api.jobs.items()):
            if job["status"] not in ("succeeded", "failed", "cancelled"):
                openai_api.script(job_id, ["queued", "running", "running", "succeeded"])

    return scorer_hook


def run_openai(settings, database, openai_api, slack_api, *, after_launch=None, **request):
    """Launch with no-wait, let the test move the job, then resume until it ends."""
    lines: list[str] = []
    outcome = train(
        settings,
        database,
        RunRequest(backend="openai", wait=False, poll_interval=0.0, **request),
        collector=collector(),
        progress=lines.append,
        slack=slack_client(slack_api),
    )
    (after_launch or auto_finish(openai_api))()
    ctx = pipeline.context(
        settings,
        database,
        progress=lines.append,
        slack=slack_client(slack_api),
        sleep=lambda s: None,
    )
    return outcome, ctx, lines


@pytest.mark.e2e
def test_happy_path_openai_babbage(ft_settings, database, openai_api, slack_api) -> None:
    launched, ctx, lines = run_openai(ft_settings, database, openai_api, slack_api)
    [outcome] = pipeline.resume(ctx)

    [create] = openai_api.requests_to("/v1/fine_tuning/jobs", "POST")
    body = create.json
    assert body["model"] == "babbage-002"
    assert body["suffix"] == f"sportbot-run-{launched.run.id}"
    assert body["method"]["supervised"]["hyperparameters"] == {"n_epochs": 2}
    assert body["metadata"] == {
        "sportbot_run": launched.run.run_key,
        "sportbot_run_id": str(launched.run.id),
    }
    assert body["validation_file"]
    assert body["training_file"] != body["validation_file"]
    assert len(openai_api.requests_to("/v1/files", "POST")) == 2

    run = outcome.run
    assert run.status == "succeeded"
    assert run.promoted is True
    assert run.job_id == create_job_id(openai_api)
    assert run.trained_tokens == 12_345
    active = ModelRegistry(database).active()
    assert active.id.startswith("ft:babbage-002")
    assert active.backend == "openai"
    assert active.separator
    assert active.labels == ["baseball", "hockey"]
    assert run.candidate_metrics["accuracy"] == 1.0  # the stand-in's keyword rule is exact here
    # the result file (base64 from the stand-in) is kept decoded, charts and JSON written
    folder = outcome.folder
    assert (folder / "results.csv").read_text().startswith("step,train_loss")
    assert (folder / "training_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert (folder / "confusion.png").exists()
    assert json.loads((folder / "report.json").read_text())["job_id"] == run.job_id
    # one Slack message, posted once then updated; final blocks carry job, metrics, verdict
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    updates = slack_api.calls_to("chat.update")
    assert updates
    assert all(u.params["ts"] == run.slack_ts for u in updates)
    final = json.dumps(updates[-1].params["blocks"])
    assert run.job_id in final
    assert "accuracy" in final
    assert "Promoted" in final
    # charts: files_upload_v2 = getUploadURLExternal + POST bytes, then one complete
    assert len(slack_api.calls_to("files.getUploadURLExternal")) == 2
    assert len(slack_api.calls_to("upload")) == 2
    assert len(slack_api.calls_to("files.completeUploadExternal")) == 1
    assert RunStore(database).lock_holder() is None
    assert any("running" in line for line in lines)


def create_job_id(openai_api) -> str:
    [job_id] = openai_api.jobs
    return job_id


@pytest.mark.e2e
def test_failed_job_is_reported_and_active_model_stays(
    ft_settings, database, openai_api, slack_api
) -> None:
    registry = ModelRegistry(database)
    registry.register(id="ft:babbage-002:old:x", backend="openai", labels=["baseball", "hockey"])
    registry.promote("ft:babbage-002:old:x")

    def fail():
        job_id = create_job_id(openai_api)
        openai_api.advance(job_id, "running")
        openai_api.advance(job_id, "failed", error={"code": "quota", "message": "Out of quota"})

    _, ctx, _ = run_openai(ft_settings, database, openai_api, slack_api, after_launch=fail)
    with pytest.raises(JobFailedError, match="Out of quota"):
        pipeline.resume(ctx)
    run = RunStore(database).latest()
    assert run.status == "failed"
    assert "Out of quota" in run.error
    assert registry.active().id == "ft:babbage-002:old:x"
    final = json.dumps(slack_api.calls_to("chat.update")[-1].params["blocks"])
    assert "Out of quota" in final
    assert RunStore(database).lock_holder() is None


@pytest.mark.e2e
def test_cancelled_run_cancels_the_job(ft_settings, database, openai_api, slack_api) -> None:
    launched, ctx, _ = run_openai(
        ft_settings, database, openai_api, slack_api, after_launch=lambda: None
    )
    run = pipeline.cancel(ctx, launched.run.id)
    assert run.status == "cancelled"
    final = slack_api.calls_to("chat.update")[-1].params
    assert final["ts"] == launched.run.slack_ts
    assert "cancelled" in json.dumps(final["blocks"])
    assert openai_api.jobs[run.job_id]["status"] == "cancelled"
    assert RunStore(database).lock_holder() is None
    assert ModelRegistry(database).active() is None


@pytest.mark.e2e
def test_job_cancelled_elsewhere_is_reported(ft_settings, database, openai_api, slack_api) -> None:
    _, ctx, _ = run_openai(
        ft_settings,
        database,
        openai_api,
        slack_api,
        after_launch=lambda: openai_api.advance(create_job_id(openai_api), "cancelled"),
    )
    with pytest.raises(JobFailedError, match="cancelled"):
        pipeline.resume(ctx)
    assert RunStore(database).latest().status == "cancelled"


@pytest.mark.e2e
def test_plain_csv_result_file_too(ft_settings, database, openai_api, slack_api) -> None:
    openai_api.results_base64 = False
    _, ctx, _ = run_openai(ft_settings, database, openai_api, slack_api)
    [outcome] = pipeline.resume(ctx)
    assert (outcome.folder / "results.csv").read_text().splitlines()[2].startswith("2,0.5")


@pytest.mark.e2e
def test_restart_polls_the_same_job(ft_settings, database, openai_api, slack_api) -> None:
    def running():
        openai_api.advance(create_job_id(openai_api), "running")

    launched, _, _ = run_openai(ft_settings, database, openai_api, slack_api, after_launch=running)
    # a new process: nothing in memory but the database; the stand-in finishes the job
    openai_api.script(launched.run.job_id, ["running", "succeeded"])
    fresh = pipeline.context(
        ft_settings, database, slack=slack_client(slack_api), sleep=lambda s: None
    )
    [outcome] = pipeline.resume(fresh)
    assert outcome.run.job_id == launched.run.job_id
    assert outcome.run.status == "succeeded"
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1
    assert len(openai_api.requests_to("/v1/files", "POST")) == 2
    retrieves = openai_api.requests_to(f"/v1/fine_tuning/jobs/{launched.run.job_id}", "GET")
    assert len(retrieves) >= 2
    assert len(slack_api.calls_to("chat.postMessage")) == 1  # same message after restart


@pytest.mark.e2e
def test_crash_between_create_and_save_adopts_the_job(
    ft_settings, database, openai_api, slack_api
) -> None:
    launched, ctx, _ = run_openai(
        ft_settings, database, openai_api, slack_api, after_launch=lambda: None
    )
    job_id = launched.run.job_id
    RunStore(database).update(launched.run.id, job_id=None)  # the save never happened
    openai_api.script(job_id, ["succeeded"])
    [outcome] = pipeline.resume(ctx)
    assert outcome.run.job_id == job_id
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.e2e
def test_polling_survives_5xx_and_429(ft_settings, database, openai_api, slack_api) -> None:
    _, ctx, _ = run_openai(ft_settings, database, openai_api, slack_api)
    openai_api.fail_next(503, times=2)
    openai_api.fail_next(429, times=1)
    [outcome] = pipeline.resume(ctx)
    assert outcome.run.status == "succeeded"


@pytest.mark.e2e
def test_second_run_is_refused_naming_the_first(
    ft_settings, database, openai_api, slack_api
) -> None:
    launched, _, _ = run_openai(
        ft_settings, database, openai_api, slack_api, after_launch=lambda: None
    )
    with pytest.raises(RunInProgressError, match=f"run {launched.run.id} is in progress"):
        train(ft_settings, database, RunRequest(backend="openai"), collector=collector())
    assert len(RunStore(database).list()) == 1  # the refused request left no row
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.unit
def test_stale_lock_of_a_finished_run_is_reclaimed(database) -> None:
    runs = RunStore(database)
    first = runs.create_locked(backend="local", base_model="local")
    runs.finish(first.id, status="failed")  # crashed before releasing
    second = runs.create_locked(backend="local", base_model="local")
    assert runs.lock_holder().id == second.id


@pytest.mark.e2e
def test_cost_cap_refuses_before_any_upload(ft_settings, database, openai_api) -> None:
    capped = ft_settings.with_changes(
        training=TrainingSettings(poll_interval=0.0, epochs=2, cost_cap_usd=0.0000001)
    )
    with pytest.raises(CostCapError, match="above the cap"):
        train(capped, database, RunRequest(backend="openai"), collector=collector())
    assert openai_api.requests_to("/v1/files", "POST") == []
    run = RunStore(database).latest()
    assert run.status == "failed"
    assert run.estimated_cost > 0
    assert run.estimated_tokens > 0
    assert RunStore(database).lock_holder() is None


@pytest.mark.e2e
def test_local_backend_shares_the_pipeline(settings, database) -> None:
    frame = sports_frame(other=True)
    outcome = train(
        settings, database, RunRequest(backend="local"), collector=collector(frame, upto=7)
    )
    assert outcome.run.status == "succeeded"
    assert outcome.run.examples_upto == 7
    assert outcome.model.backend == "local"
    assert outcome.model.status == "active"
    assert outcome.run.candidate_metrics["accuracy"] >= 0.9
    assert (outcome.folder / "confusion.png").exists()
    assert (outcome.folder / "report.json").exists()
    # The tagger process scores with the arrays beside the artifact, checked by hash.
    scorer = files.scorer_path(outcome.model.artifact_path)
    assert outcome.model.scorer_sha256 == files.file_sha256(scorer)
    lean = load_classifier(outcome.model, settings, lean=True)
    assert isinstance(lean, ScoredModel)
    assert lean.model_id == outcome.model.id


@pytest.mark.e2e
def test_a_model_saved_before_scorer_files_gets_one_when_trained_again(settings, database):
    """Upgrading: retraining on the same data keeps the registered entry (same id) and
    saves its scoring arrays, so the Slack app stops loading scikit-learn for it."""
    frame = sports_frame(other=True)
    first = train(settings, database, RunRequest(backend="local"), collector=collector(frame))
    scorer = files.scorer_path(first.model.artifact_path)
    scorer.unlink()  # as a model saved by an older sportbot
    with database.session() as session:
        session.execute(update(ModelRecord).values(scorer_sha256=None))

    again = train(settings, database, RunRequest(backend="local"), collector=collector(frame))

    assert again.model.id == first.model.id
    assert again.model.scorer_sha256 == files.file_sha256(scorer)
    lean = load_classifier(ModelRegistry(database).get(first.model.id), settings, lean=True)
    assert isinstance(lean, ScoredModel)


@pytest.mark.e2e
def test_a_local_run_trains_on_weighted_corrections_and_reports_what_they_changed(
    settings, database
) -> None:
    from pathlib import Path

    from training.pipeline import report as reporting

    taught = ["zorblatski again tonight", "what a zorblatski game"]
    corrections = pd.DataFrame({"prompt": taught, "completion": "hockey", "weight": 8.0})
    frame = sports_frame(other=True)
    first = train(settings, database, RunRequest(backend="local"), collector=collector(frame))

    outcome = train(
        settings,
        database,
        RunRequest(backend="local"),
        collector=lambda db: Collected(
            frame=frame, examples_upto=2, counts={}, corrections=corrections
        ),
    )

    weights = (outcome.folder / "weights.jsonl").read_text().splitlines()
    assert [json.loads(line)["weight"] for line in weights] == [8.0, 8.0]
    trained = prep.read_prepared(Path(outcome.run.train_path))["text"].tolist()
    held = prep.read_prepared(Path(outcome.run.valid_path))["text"].tolist()
    assert set(taught) <= set(trained)  # always trained on, never held out
    assert not set(taught) & set(held)
    assert outcome.model.id != first.model.id
    corrected = outcome.report["corrections"]
    assert (corrected["n"], corrected["after"]) == (2, 1.0)
    assert corrected["before"] is not None  # the first run's model, measured on them
    assert "Corrected messages (2)" in "\n".join(reporting.summary_lines(outcome.report))


@pytest.mark.e2e
def test_train_local_keeps_its_signature(settings, database, tmp_path) -> None:
    from training import preparation as prep

    prepared = prep.prepare(sports_frame(other=True), model="babbage-002")
    train_path, valid_path = prep.write_prepared(prepared, tmp_path / "x.jsonl")
    info = train_local(
        settings,
        database,
        trigger="slack",
        requested_by="U1",
        channel=None,
        progress=lambda line: None,
        train_file=train_path,
        valid_file=valid_path,
        force=False,
    )
    assert info.status == "active"
    assert RunStore(database).latest().requested_by == "U1"


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def cli_env(monkeypatch, openai_api, tmp_path):
    from tests.standins.openai_api import TEST_API_KEY
    from training import preparation as prep

    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.base_url)
    monkeypatch.setenv("SPORTBOT_OPENAI_MAX_RETRIES", "0")
    monkeypatch.setenv("SPORTBOT_POLL_INTERVAL", "0")
    prepared = prep.prepare(sports_frame(), model="babbage-002")
    return prep.write_prepared(prepared, tmp_path / "sport.jsonl")


@pytest.mark.e2e
def test_cli_train_no_wait_then_runs_and_resume(cli_env, openai_api) -> None:
    from typer.testing import CliRunner

    from training.cli import app

    train_path, valid_path = cli_env
    runner = CliRunner()
    args = ["train", "--backend", "openai", "--train", str(train_path), "--valid", str(valid_path)]
    launched = runner.invoke(app, [*args, "--no-wait"])
    assert launched.exit_code == 0, launched.output
    job_id = create_job_id(openai_api)
    assert job_id in launched.output

    second = runner.invoke(app, args)
    assert second.exit_code == 1
    assert "run 1 is in progress" in second.output

    listed = runner.invoke(app, ["runs"])
    assert job_id in listed.output

    openai_api.script(job_id, ["running", "succeeded"])
    resumed = runner.invoke(app, ["runs", "resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "is active" in resumed.output
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.e2e
def test_cli_runs_cancel(cli_env, openai_api) -> None:
    from typer.testing import CliRunner

    from training.cli import app

    train_path, valid_path = cli_env
    runner = CliRunner()
    args = ["train", "--backend", "openai", "--train", str(train_path), "--valid", str(valid_path)]
    assert runner.invoke(app, [*args, "--no-wait"]).exit_code == 0
    cancelled = runner.invoke(app, ["runs", "cancel", "1"])
    assert cancelled.exit_code == 0, cancelled.output
    assert openai_api.jobs[create_job_id(openai_api)]["status"] == "cancelled"
    assert "cancelled" in runner.invoke(app, ["runs"]).output
    again = runner.invoke(app, ["runs", "cancel", "1"])
    assert again.exit_code == 1
    assert "already cancelled" in again.output


@pytest.mark.e2e
def test_chat_base_model_uses_chat_files_and_chat_api(
    ft_settings, database, openai_api, slack_api
) -> None:
    _, ctx, _ = run_openai(
        ft_settings, database, openai_api, slack_api, base_model="gpt-4o-mini-2024-07-18"
    )
    uploaded = openai_api.requests_to("/v1/files", "POST")[0].form["file"][1]
    assert b'"messages"' in uploaded
    [outcome] = pipeline.resume(ctx)
    assert outcome.model.prompt_format == "chat"
    assert outcome.model.id.startswith("ft:gpt-4o-mini-2024-07-18")
    assert openai_api.requests_to("/v1/chat/completions")
    assert openai_api.requests_to("/v1/completions") == []
    # The system message it was trained with is recorded, and used to ask it.
    trained_with = json.loads(uploaded.splitlines()[0])["messages"][0]["content"]
    assert outcome.model.system_message == trained_with
    asked = openai_api.requests_to("/v1/chat/completions")[-1].json["messages"][0]
    assert asked == {"role": "system", "content": trained_with}


@pytest.mark.unit
def test_a_registered_chat_model_is_asked_with_its_own_system_message(database, settings):
    # A key, never used: nothing is asked here, the client is only built.
    settings = settings.with_changes(openai=OpenAISettings(api_key="sk-test"))
    registry = ModelRegistry(database)
    info = registry.register(
        id="ft:gpt-4o-mini-2024-07-18:org::abc",
        backend="openai",
        labels=["baseball", "hockey", "other"],
        prompt_format="chat",
        system_message="Label the sport: baseball, hockey or other.",
    )
    assert registry.get(info.id).system_message == "Label the sport: baseball, hockey or other."
    model = load_classifier(registry.get(info.id), settings)
    assert model.system_message == "Label the sport: baseball, hockey or other."
    older = registry.register(
        id="ft:gpt-4o-mini-2024-07-18:org::old", backend="openai", labels=["x"]
    )
    assert load_classifier(older, settings).system_message == prep.CHAT_SYSTEM_MESSAGE


@pytest.mark.e2e
def test_scheduler_start_resumes_unfinished_runs(
    ft_settings, database, openai_api, slack_api
) -> None:
    from training.schedule import resume_unfinished

    launched, _, _ = run_openai(ft_settings, database, openai_api, slack_api)
    assert resume_unfinished(ft_settings, database) == 1
    run = RunStore(database).get(launched.run.id)
    assert run.status == "succeeded"
    assert run.job_id == launched.run.job_id
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.e2e
def test_a_burst_of_progress_lines_is_one_slack_update(settings, database, slack_api) -> None:
    from training.slack.message import SlackReport

    ctx = pipeline.context(settings, database, slack=slack_client(slack_api))
    ctx.report = SlackReport(ctx.slack, "C0REP")
    ctx.say("first")
    ctx.say("event 1", "event 2", "event 3", "Job ftjob-x is running.")
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    [update] = slack_api.calls_to("chat.update")
    assert "event 2" in json.dumps(update.params["blocks"])


@pytest.mark.unit
def test_racing_requests_get_exactly_one_lock(database) -> None:
    import threading

    runs = RunStore(database)
    barrier = threading.Barrier(6)
    won: list[int] = []
    refused: list[str] = []

    def request() -> None:
        barrier.wait()
        try:
            won.append(runs.create_locked(backend="local", base_model="local").id)
        except RunInProgressError as error:
            refused.append(str(error))

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert len(refused) == 5
    assert all(f"run {won[0]} is in progress" in message for message in refused)
    assert [run.id for run in runs.list()] == won


@pytest.mark.e2e
def test_network_giving_out_while_polling_loses_nothing(
    ft_settings, database, openai_api, slack_api
) -> None:
    from training.errors import OpenAIError

    launched, ctx, _ = run_openai(ft_settings, database, openai_api, slack_api)
    openai_api.fail_next(503, times=6)  # as many as our retry loop tries
    with pytest.raises(OpenAIError, match="kept failing"):
        pipeline.resume(ctx)
    run = RunStore(database).get(launched.run.id)
    assert not run.finished  # still resumable, job id kept, lock kept
    assert run.job_id == launched.run.job_id
    assert RunStore(database).lock_holder().id == run.id
    [outcome] = pipeline.resume(ctx)
    assert outcome.run.status == "succeeded"
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


@pytest.mark.e2e
def test_resume_after_crash_between_register_and_promote(
    ft_settings, database, openai_api, slack_api, monkeypatch
) -> None:
    launched, ctx, _ = run_openai(ft_settings, database, openai_api, slack_api)

    def crash(self, model_id):
        raise KeyboardInterrupt  # the process is killed right after registering

    monkeypatch.setattr(ModelRegistry, "promote", crash)
    with pytest.raises(KeyboardInterrupt):
        pipeline.resume(ctx)
    monkeypatch.undo()
    assert not RunStore(database).get(launched.run.id).finished
    [outcome] = pipeline.resume(ctx)
    assert outcome.model.status == "active"
    assert outcome.run.promoted is True


@pytest.mark.e2e
def test_killed_cli_process_is_resumed_on_the_same_job(cli_env, openai_api) -> None:
    """A real `sportbot train` process killed (SIGKILL) while polling; resume finishes it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from training.config import Settings
    from training.storage.database import connect

    train_path, valid_path = cli_env
    command = [sys.executable, "-c", "from bot.cli import main; main()"]
    args = ["train", "--backend", "openai", "--train", str(train_path), "--valid", str(valid_path)]
    process = subprocess.Popen(
        [*command, *args, "--poll-interval", "0.05"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not openai_api.jobs and time.monotonic() < deadline:
            time.sleep(0.05)
        job_id = create_job_id(openai_api)
        openai_api.advance(job_id, "running")
        settings = Settings.from_env()
        db = connect(settings)
        while RunStore(db).get(1).status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert RunStore(db).get(1).status == "running"  # the process saw the job run
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    openai_api.advance(job_id, "succeeded")
    polls_before = len(openai_api.requests_to(f"/v1/fine_tuning/jobs/{job_id}", "GET"))
    ctx = pipeline.context(settings, db, sleep=lambda s: None, poll_interval=0)
    [outcome] = pipeline.resume(ctx)
    assert outcome.run.job_id == job_id
    assert outcome.run.status == "succeeded"
    assert len(openai_api.requests_to(f"/v1/fine_tuning/jobs/{job_id}", "GET")) > polls_before
    assert len(openai_api.requests_to("/v1/fine_tuning/jobs", "POST")) == 1


# ---------------------------------------------------------------- the promotion gate


def prepared_files(frame: pd.DataFrame, folder, name: str):
    prepared = prep.prepare(frame, model="babbage-002")
    return prep.write_prepared(prepared, folder / f"{name}.jsonl")


@pytest.mark.unit
def test_decide_refuses_a_dropped_or_unmeasured_label_unless_forced() -> None:
    same = {"accuracy": 0.99, "n": 10}
    active = {"accuracy": 0.99, "model": "local-old"}
    dropped = promotion.decide(same, active, margin=0.01, force=False, dropped=["other"])
    assert not dropped.promote
    assert "'other'" in dropped.reason
    assert "--force" in dropped.reason
    unmeasured = promotion.decide(same, active, margin=0.01, force=False, unmeasured=["other"])
    assert not unmeasured.promote
    assert "'other'" in unmeasured.reason
    forced = promotion.decide(same, active, margin=0.01, force=True, dropped=["other"])
    assert forced.promote
    assert "'other'" in forced.reason
    assert promotion.decide(same, active, margin=0.01, force=False).promote


@pytest.mark.e2e
def test_gate_judges_a_two_label_candidate_on_the_active_models_labels(
    settings, database, tmp_path
) -> None:
    """The walkthrough's files hold baseball/hockey only: a model trained on them must not
    replace the three-label model, and both are measured on the same 'other' examples."""
    first = train(
        settings,
        database,
        RunRequest(backend="local"),
        collector=collector(sports_frame(other=True)),
    )
    assert first.model.labels == ["baseball", "hockey", "other"]

    train_path, valid_path = prepared_files(sports_frame(n=40), tmp_path, "sport2")
    second = train(
        settings,
        database,
        RunRequest(backend="local"),
        train_file=train_path,
        valid_file=valid_path,
    )
    registry = ModelRegistry(database)
    assert second.run.promoted is False
    assert second.model.status == "candidate"
    assert registry.active().id == first.model.id
    assert "'other'" in second.report["reason"]
    assert "--force" in second.report["reason"]
    candidate, active = second.run.candidate_metrics, second.run.active_metrics
    # the same held-out examples, 'other' among them (from the active model's run)
    assert candidate["n"] == active["n"]
    assert candidate["per_class"]["other"]["support"] > 0
    assert candidate["per_class"]["other"]["support"] == active["per_class"]["other"]["support"]
    assert candidate["accuracy"] < active["accuracy"]

    train_path, valid_path = prepared_files(sports_frame(n=36), tmp_path, "forced")
    forced = train(
        settings,
        database,
        RunRequest(backend="local", force=True),
        train_file=train_path,
        valid_file=valid_path,
    )
    assert forced.model.status == "active"
    assert "forced" in forced.report["reason"]
    assert "'other'" in forced.report["reason"]


@pytest.mark.e2e
def test_a_network_error_while_reporting_never_fails_the_run(
    settings, database, slack_api, caplog
) -> None:
    """The model is registered and promoted before the report: a connection Slack drops
    (chat.update past the client's retries, the charts' upload step) is one log line."""
    settings = settings.with_changes(
        slack=SlackSettings(bot_token="xoxb-test", api_url=slack_api.url, report_channel="C0REP")
    )
    slack_api.drop("chat.update", times=3)  # the first update, and both retries
    slack_api.drop("upload")
    caplog.set_level("WARNING", logger="training.slack.message")
    outcome = train(
        settings,
        database,
        RunRequest(backend="local"),
        collector=collector(sports_frame(other=True)),
    )
    assert outcome.run.status == "succeeded"
    assert outcome.model.status == "active"
    assert RunStore(database).lock_holder() is None
    problems = [r for r in caplog.records if r.name == "training.slack.message"]
    assert [r.getMessage().split(":")[0] for r in problems] == [
        "Slack report not updated",
        "Slack chart upload failed",
    ]
    assert all("RemoteDisconnected" in r.getMessage() for r in problems)
    assert all(r.exc_info is None for r in problems)
    final = json.dumps(slack_api.calls_to("chat.update")[-1].params["blocks"])
    assert "Promoted" in final
