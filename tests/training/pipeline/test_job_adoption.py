"""Issue 15, item 8: a run adopts only a fine-tuning job it created itself.

Before creating a job, a run looks for one a crash may have left (created, id
never saved). Looked up by the run number, a fresh database or a staging
deployment sharing the API key found an older job trained on other data and
could promote its model. The key is now a UUID stored with the run (migration
0007), and a found job is adopted only if its training file is the run's own.
"""

from __future__ import annotations

import uuid

import pytest

from tests.training.pipeline.test_pipeline import ft_settings, run_openai  # noqa: F401
from training.openai_api import jobs as openai_jobs
from training.pipeline import run as pipeline
from training.storage.runs import RunStore

pytestmark = pytest.mark.e2e
JOBS = "/v1/fine_tuning/jobs"


def test_another_deployments_job_for_the_same_run_number_is_not_adopted(
    ft_settings,  # noqa: F811
    database,
    openai_api,
    slack_api,
) -> None:
    # Another deployment's run 1 (the metadata main wrote), finished, with its own data.
    foreign = openai_api.add_job(metadata={"sportbot_run": "1"}, status="succeeded")
    _launched, ctx, _ = run_openai(ft_settings, database, openai_api, slack_api)
    [outcome] = pipeline.resume(ctx)

    run = outcome.run
    assert run.id == 1
    assert run.job_id != foreign["id"]
    [create] = openai_api.requests_to(JOBS, "POST")
    assert create.json["metadata"]["sportbot_run"] == run.run_key
    assert uuid.UUID(run.run_key).version == 4
    assert openai_api.jobs[run.job_id]["training_file"] == run.train_file_id
    assert outcome.model.id != foreign["fine_tuned_model"]


def test_a_job_with_the_runs_key_but_other_data_is_not_adopted(
    ft_settings,  # noqa: F811
    database,
    openai_api,
    slack_api,
) -> None:
    launched, ctx, _ = run_openai(
        ft_settings, database, openai_api, slack_api, after_launch=lambda: None
    )
    run = launched.run
    RunStore(database).update(run.id, job_id=None)  # the save never happened
    impostor = openai_api.add_job(metadata={"sportbot_run": run.run_key}, status="succeeded")
    own = openai_api.jobs[run.job_id]
    openai_api.script(own["id"], ["succeeded"])

    [outcome] = pipeline.resume(ctx)

    assert outcome.run.job_id == own["id"]  # its own job, found by key and file
    assert outcome.run.job_id != impostor["id"]
    assert len(openai_api.requests_to(JOBS, "POST")) == 1  # still never two jobs


def test_find_job_checks_key_and_training_file(openai_api, tmp_path) -> None:
    client = openai_api.client()
    path = tmp_path / "t.jsonl"
    path.write_text('{"prompt": "a ->", "completion": " baseball"}\n')
    mine = openai_jobs.upload(client, path)
    key = str(uuid.uuid4())
    job = openai_jobs.create_job(
        client,
        run_id=1,
        run_key=key,
        model="babbage-002",
        training_file=mine,
        validation_file=None,
        epochs=1,
    )
    openai_api.add_job(metadata={"sportbot_run": key})  # same key, other data

    assert openai_jobs.find_job(client, key, training_file=mine).id == job.id
    assert openai_jobs.find_job(client, key, training_file="file-other") is None
    assert openai_jobs.find_job(client, 1, training_file=mine) is None  # not by number
    assert job.metadata == {"sportbot_run": key, "sportbot_run_id": "1"}


def test_every_new_run_gets_its_own_key(database) -> None:
    runs = RunStore(database)
    first = runs.create(backend="openai", base_model="babbage-002")
    second = runs.create(backend="openai", base_model="babbage-002")
    assert first.run_key
    assert second.run_key
    assert first.run_key != second.run_key
    assert runs.get(first.id).run_key == first.run_key  # stored, not made up on read
