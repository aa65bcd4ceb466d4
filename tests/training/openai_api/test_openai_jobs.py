"""OpenAI job helpers against the stand-in, through the real openai client."""

from __future__ import annotations

import base64

import pytest

from training.errors import OpenAIError
from training.openai_api import jobs as openai_jobs

CSV = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,1.0,0.5,,\n"


def _job(openai_api, client, tmp_path, run_id: int = 7):
    path = tmp_path / "train.jsonl"
    path.write_text('{"prompt": "a ->", "completion": " baseball"}\n')
    file_id = openai_jobs.upload(client, path)
    return openai_jobs.create_job(
        client,
        run_id=run_id,
        model="babbage-002",
        training_file=file_id,
        validation_file=None,
        epochs=3,
    )


@pytest.mark.e2e
def test_upload_sends_purpose_fine_tune(openai_api, tmp_path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("{}\n")
    file_id = openai_jobs.upload(openai_api.client(), path)
    assert openai_api.files[file_id]["purpose"] == "fine-tune"
    assert openai_api.file_contents[file_id] == b"{}\n"


@pytest.mark.e2e
def test_create_job_sends_suffix_seed_method_metadata(openai_api, tmp_path) -> None:
    job = _job(openai_api, openai_api.client(), tmp_path)
    body = openai_api.requests_to("/v1/fine_tuning/jobs", "POST")[0].json
    assert body["suffix"] == "sportbot-run-7"
    assert body["seed"] == 7
    assert body["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 3}},
    }
    assert job.metadata == {"sportbot_run": "7"}


@pytest.mark.e2e
def test_find_job_by_run_id(openai_api, tmp_path) -> None:
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path, run_id=3)
    _job(openai_api, client, tmp_path, run_id=4)
    assert openai_jobs.find_job(client, 3).id == job.id
    assert openai_jobs.find_job(client, 99) is None


@pytest.mark.e2e
def test_poll_reports_statuses_and_events_until_the_end(openai_api, tmp_path) -> None:
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path)
    openai_api.script(job.id, ["queued", "running", "succeeded"])
    seen: list[tuple[str, int]] = []
    final = openai_jobs.poll(
        client, job.id, interval=0, on_update=lambda j, ev: seen.append((j.status, len(ev)))
    )
    assert final.status == "succeeded"
    assert [status for status, _ in seen] == ["queued", "running", "succeeded"]
    total_events = sum(n for _, n in seen)
    assert total_events == len(openai_api.events[job.id])  # each event reported once


@pytest.mark.e2e
def test_poll_retries_5xx_and_429_with_backoff(openai_api, tmp_path) -> None:
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path)
    openai_api.finish(job.id)
    openai_api.fail_next(500, times=2)
    openai_api.fail_next(429, times=1)
    delays: list[float] = []
    final = openai_jobs.poll(
        client, job.id, interval=0, on_update=lambda *a: None, sleep=delays.append
    )
    assert final.status == "succeeded"
    assert delays[:3] == [1.0, 2.0, 4.0]  # exponential


@pytest.mark.e2e
def test_retries_give_up_with_our_error(openai_api, tmp_path) -> None:
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path)
    openai_api.fail_next(503, times=10)
    with pytest.raises(OpenAIError, match="kept failing"):
        openai_jobs.retrieve(client, job.id, sleep=lambda s: None)


@pytest.mark.e2e
@pytest.mark.parametrize("encoded", [True, False])
def test_result_file_plain_or_base64(openai_api, tmp_path, encoded) -> None:
    openai_api.results_base64 = encoded
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path)
    openai_api.finish(job.id)
    text = openai_jobs.download_results(client, client.fine_tuning.jobs.retrieve(job.id))
    rows = openai_jobs.parse_results(text)
    assert rows[0] == {
        "step": 1.0,
        "train_loss": 1.0,
        "train_accuracy": 0.5,
        "valid_loss": None,
        "valid_mean_token_accuracy": None,
    }
    assert rows[1]["valid_mean_token_accuracy"] == 0.85


@pytest.mark.unit
def test_decode_result_accepts_both() -> None:
    assert openai_jobs.decode_result(CSV.encode()) == CSV
    assert openai_jobs.decode_result(base64.b64encode(CSV.encode())) == CSV


@pytest.mark.e2e
def test_failure_message_carries_openais_reason(openai_api, tmp_path) -> None:
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path)
    openai_api.advance(job.id, "failed", error={"code": "bad_file", "message": "Line 3 is bad"})
    message = openai_jobs.failure_message(client.fine_tuning.jobs.retrieve(job.id))
    assert "Line 3 is bad" in message
    assert "bad_file" in message


@pytest.mark.e2e
def test_cancel_twice_is_harmless(openai_api, tmp_path) -> None:
    client = openai_api.client()
    job = _job(openai_api, client, tmp_path)
    assert openai_jobs.cancel(client, job.id).status == "cancelled"
    assert openai_jobs.cancel(client, job.id).status == "cancelled"
