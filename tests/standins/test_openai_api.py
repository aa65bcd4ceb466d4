"""The OpenAI stand-in itself, through the real openai client.

The retraining pipeline will be tested against this server, so its shapes
and its job lifecycle are checked here: every field the client's types
declare must come back set (or deliberately null), not silently missing.
"""

from __future__ import annotations

import base64
import json
import time

import openai
import pytest

from tests.standins.openai_api import RESULT_CSV_HEADER, TEST_API_KEY

pytestmark = pytest.mark.e2e

TRAIN = b'{"prompt": "puck\\n\\n###\\n\\n", "completion": " hockey"}\n'


def _missing_fields(raw: dict, model_cls: type) -> set[str]:
    """Fields of ``model_cls`` absent from the raw JSON (lenient parsing would hide them)."""
    return {name for name in model_cls.model_fields if name not in raw}


def _upload(client: openai.OpenAI, content: bytes = TRAIN, name: str = "train.jsonl"):
    return client.files.create(file=(name, content), purpose="fine-tune")


def _job(client: openai.OpenAI, **kwargs):
    training = _upload(client)
    return client.fine_tuning.jobs.create(
        model="babbage-002", training_file=training.id, suffix="sportbot", **kwargs
    )


def test_completion_has_every_field(openai_api) -> None:
    from openai.types import Completion

    response = openai_api.client().completions.with_raw_response.create(
        model="babbage-002", prompt=["a puck", "a bat"], max_tokens=1, logprobs=5
    )
    raw = response.http_response.json()
    assert _missing_fields(raw, Completion) == set()
    assert [c["index"] for c in raw["choices"]] == [0, 1]
    logprobs = raw["choices"][0]["logprobs"]
    assert set(logprobs) == {"tokens", "token_logprobs", "top_logprobs", "text_offset"}
    assert len(logprobs["top_logprobs"][0]) <= 5
    assert response.parse().choices[0].text == " hockey"


def test_chat_has_every_field(openai_api) -> None:
    from openai.types.chat import ChatCompletion

    response = openai_api.client().chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "a home run"}],
        max_tokens=1,
        logprobs=True,
        top_logprobs=3,
    )
    raw = response.http_response.json()
    assert _missing_fields(raw, ChatCompletion) - {"metadata", "moderation"} == set()
    choice = raw["choices"][0]
    assert set(choice["message"]) >= {"role", "content", "refusal"}
    token = choice["logprobs"]["content"][0]
    assert set(token) == {"token", "logprob", "bytes", "top_logprobs"}
    assert len(token["top_logprobs"]) == 3
    assert set(token["top_logprobs"][0]) == {"token", "logprob", "bytes"}
    assert response.parse().choices[0].message.content == " baseball"


def test_wrong_endpoint_for_the_model_is_404(openai_api) -> None:
    client = openai_api.client()
    with pytest.raises(openai.NotFoundError, match="chat model"):
        client.completions.create(model="gpt-4o-mini", prompt="x", max_tokens=1)
    with pytest.raises(openai.NotFoundError, match="not a chat model"):
        client.chat.completions.create(
            model="ft:babbage-002:o::x", messages=[{"role": "user", "content": "x"}]
        )


def test_default_scorer_sometimes_leaves_the_other_class_out(openai_api) -> None:
    client = openai_api.client()
    prompts = [f"post number {i} about a bat" for i in range(12)]
    response = client.completions.create(
        model="babbage-002", prompt=prompts, max_tokens=1, logprobs=5
    )
    tops = [choice.logprobs.top_logprobs[0] for choice in response.choices]
    assert any(" hockey" not in top for top in tops)
    assert any(" hockey" in top for top in tops)
    assert all(" Baseball" in top for top in tops)


def test_fail_next_sends_openai_error_body_and_counts_down(openai_api) -> None:
    client = openai_api.client()
    openai_api.fail_next(404, path="/v1/completions")
    with pytest.raises(openai.NotFoundError) as info:
        client.completions.create(model="ft:babbage-002:o::x", prompt="x", max_tokens=1)
    assert info.value.code == "model_not_found"
    assert set(info.value.response.json()["error"]) == {"message", "type", "param", "code"}
    assert client.completions.create(model="babbage-002", prompt="x", max_tokens=1).choices


def test_429_carries_retry_after(openai_api) -> None:
    openai_api.fail_next(429, retry_after=0.01)
    with pytest.raises(openai.RateLimitError) as info:
        openai_api.client().completions.create(model="babbage-002", prompt="x", max_tokens=1)
    assert info.value.response.headers["retry-after-ms"] == "10"
    assert "retry-after" in info.value.response.headers


def test_stall_trips_the_client_timeout(openai_api) -> None:
    openai_api.stall_next(2.0)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        openai_api.client(timeout=0.2).completions.create(
            model="babbage-002", prompt="x", max_tokens=1
        )
    assert time.monotonic() - started < 1.5


def test_wrong_key_is_401_when_a_key_is_required(openai_api) -> None:
    openai_api.api_key = "sk-the-only-right-key-0000"
    with pytest.raises(openai.AuthenticationError):
        openai_api.client().completions.create(model="babbage-002", prompt="x", max_tokens=1)
    assert openai_api.requests[-1].headers["authorization"] == f"Bearer {TEST_API_KEY}"


def test_file_upload_retrieve_content(openai_api) -> None:
    client = openai_api.client()
    uploaded = _upload(client)
    assert uploaded.purpose == "fine-tune"
    assert uploaded.bytes == len(TRAIN)
    assert client.files.retrieve(uploaded.id).filename == "train.jsonl"
    assert client.files.content(uploaded.id).content == TRAIN
    recorded = openai_api.requests_to("/v1/files", "POST")[0]
    assert recorded.form["purpose"] == b"fine-tune"
    assert recorded.form["file"] == ("train.jsonl", TRAIN)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-nope")


def test_job_create_records_every_parameter(openai_api) -> None:
    client = openai_api.client()
    validation = _upload(client, name="valid.jsonl")
    method = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4}}}
    job = _job(
        client, validation_file=validation.id, seed=42, method=method, metadata={"run": "r1"}
    )
    raw = openai_api.requests_to("/v1/fine_tuning/jobs", "POST")[0].json
    assert raw["suffix"] == "sportbot"
    assert raw["seed"] == 42
    assert raw["method"] == method
    assert raw["metadata"] == {"run": "r1"}
    assert job.status == "validating_files"
    assert job.hyperparameters.n_epochs == 4
    assert job.validation_file == validation.id
    for name in ("error", "fine_tuned_model", "finished_at", "trained_tokens"):
        assert getattr(job, name) is None


def test_job_has_every_field_even_when_null(openai_api) -> None:
    from openai.types.fine_tuning import FineTuningJob

    job = _job(openai_api.client())
    raw = openai_api.client().fine_tuning.jobs.with_raw_response.retrieve(job.id)
    assert _missing_fields(raw.http_response.json(), FineTuningJob) == set()


def test_job_lifecycle_to_success(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    seen = []
    for _ in range(3):
        openai_api.advance(job.id)
        seen.append(client.fine_tuning.jobs.retrieve(job.id).status)
    assert seen == ["queued", "running", "succeeded"]
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model.startswith("ft:babbage-002:standin:sportbot:")
    assert done.finished_at is not None
    assert done.trained_tokens > 0
    assert done.error is None
    assert isinstance(done.hyperparameters.n_epochs, int)


def test_scripted_statuses_apply_one_per_retrieve(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    openai_api.script(job.id, ["queued", "running", "running", "succeeded"])
    statuses = [client.fine_tuning.jobs.retrieve(job.id).status for _ in range(5)]
    assert statuses == ["queued", "running", "running", "succeeded", "succeeded"]


def test_failed_job_has_error_object(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    error = {"code": "invalid_n_examples", "message": "Too few examples.", "param": "training_file"}
    openai_api.advance(job.id, "failed", error=error)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed"
    assert failed.error.model_dump() == error
    assert failed.fine_tuned_model is None
    events = client.fine_tuning.jobs.list_events(job.id).data
    assert events[0].level == "error"


def test_cancel(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    assert client.fine_tuning.jobs.retrieve(job.id).finished_at is not None
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)


def test_events_newest_first_with_cursor_pages(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    openai_api.finish(job.id)
    first = client.fine_tuning.jobs.list_events(job.id, limit=3)
    assert len(first.data) == 3
    assert first.has_more is True
    assert first.object == "list"
    created = [event.created_at for event in first.data]
    assert created == sorted(created, reverse=True)
    assert "successfully completed" in first.data[0].message
    every = list(client.fine_tuning.jobs.list_events(job.id, limit=3))  # follows `after`
    assert [e.message for e in every][-1].startswith("Created fine-tuning job")
    assert len({e.id for e in every}) == len(every)
    assert any(e.type == "metrics" and e.data["step"] == 1 for e in every)


def test_result_file_is_base64_csv(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    done = openai_api.finish(job.id)
    content = client.files.content(done["result_files"][0]).content
    csv = base64.b64decode(content).decode()
    assert csv.splitlines()[0] == RESULT_CSV_HEADER
    openai_api.results_base64 = False
    plain = openai_api.finish(_job(client).id)
    assert client.files.content(plain["result_files"][0]).text.startswith("step,")


def test_checkpoints_and_job_list(openai_api) -> None:
    client = openai_api.client()
    first = _job(client, metadata={"run": "a"})
    second = _job(client, metadata={"run": "b"})
    openai_api.finish(first.id)
    points = client.fine_tuning.jobs.checkpoints.list(first.id).data
    assert points[0].fine_tuned_model_checkpoint.endswith(":ckpt-step-2")
    assert points[0].fine_tuning_job_id == first.id
    listed = client.fine_tuning.jobs.list()
    assert [job.id for job in listed.data] == [second.id, first.id]  # newest first
    only_a = client.fine_tuning.jobs.list(metadata={"run": "a"})
    assert [job.id for job in only_a.data] == [first.id]


def test_suffix_over_64_characters_is_refused(openai_api) -> None:
    client = openai_api.client()
    training = _upload(client)
    with pytest.raises(openai.BadRequestError, match="suffix"):
        client.fine_tuning.jobs.create(
            model="babbage-002", training_file=training.id, suffix="x" * 65
        )


def test_jobs_that_existed_before_the_test_are_listed_and_filtered(openai_api) -> None:
    old = openai_api.add_job(metadata={"sportbot_run": "1"}, status="succeeded")
    openai_api.add_job(metadata={"sportbot_run": "2"})
    client = openai_api.client()
    found = client.fine_tuning.jobs.list(metadata={"sportbot_run": "1"}).data
    assert [job.id for job in found] == [old["id"]]
    assert found[0].status == "succeeded"
    assert found[0].fine_tuned_model.startswith("ft:babbage-002:")
    # Its training file is its own, not one a test uploaded.
    assert openai_api.files[found[0].training_file]["filename"] == "old.jsonl"


def test_pause_and_resume_a_running_job(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    with pytest.raises(openai.BadRequestError, match="only a running job"):
        client.fine_tuning.jobs.pause(job.id)
    openai_api.advance(job.id, "running")
    assert client.fine_tuning.jobs.pause(job.id).status == "paused"
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    assert client.fine_tuning.jobs.resume(job.id).status == "running"
    openai_api.advance(job.id, "paused")
    assert openai_api.finish(job.id)["status"] == "succeeded"
    messages = [event.message for event in client.fine_tuning.jobs.list_events(job.id).data]
    assert "Fine-tuning job paused" in messages
    assert "Fine-tuning job resumed" in messages


def test_a_paused_job_can_be_cancelled(openai_api) -> None:
    client = openai_api.client()
    job = _job(client)
    openai_api.advance(job.id, "running")
    openai_api.advance(job.id, "paused")
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"


def test_refused_fine_tuning_is_a_4xx_with_the_error_shape(openai_api) -> None:
    client = openai_api.client()
    existing = _job(client)
    openai_api.refuse_fine_tuning()
    with pytest.raises(openai.PermissionDeniedError) as info:
        _job(client)
    assert info.value.status_code == 403
    error = info.value.body
    assert set(error) == {"message", "type", "param", "code"}
    assert "no longer available" in error["message"]
    # Everything else goes on working.
    assert client.fine_tuning.jobs.retrieve(existing.id).id == existing.id


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"suffix": ""}, "suffix"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**31}, "seed"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"metadata": {"k": 5}}, "metadata"),
        ({"metadata": {"k" * 65: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 513}}, "metadata"),
        ({"model": "gpt-5"}, "model"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
            "method",
        ),
        ({"method": {"type": "magic"}}, "method"),
    ],
)
def test_job_parameters_are_checked_as_the_spec_says(openai_api, changes, param) -> None:
    client = openai_api.client()
    training = _upload(client)
    values = {"model": "babbage-002", "training_file": training.id, "suffix": "s"} | changes
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**values)
    assert info.value.body["param"] == param
    assert not openai_api.jobs


def test_unknown_parameters_and_wrong_purpose_files_are_refused(openai_api) -> None:
    client = openai_api.client()
    training = _upload(client)
    with pytest.raises(openai.BadRequestError, match="Unrecognized request argument"):
        client.fine_tuning.jobs.create(
            model="babbage-002", training_file=training.id, extra_body={"epochs": 3}
        )
    other = client.files.create(file=("a.jsonl", TRAIN), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="purpose 'fine-tune'"):
        client.fine_tuning.jobs.create(model="babbage-002", training_file=other.id)


def test_the_standin_refuses_what_reasoning_models_refuse(openai_api) -> None:
    client = openai_api.client()
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="gpt-5-mini", messages=messages, temperature=0)
    assert refused.value.code == "unsupported_value"
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="o4-mini", messages=messages, logprobs=True)
    assert refused.value.code == "unsupported_parameter"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="gpt-4.1-mini", messages=messages, reasoning_effort="low"
        )
    loose = {
        "type": "json_schema",
        "json_schema": {
            "name": "x",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"label": {"type": "string"}},
                "required": ["label"],
            },
        },
    }
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="gpt-4.1-mini", messages=messages, response_format=loose
        )
    assert "additionalProperties" in str(refused.value)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="gpt-4.1-mini", messages=[{"role": "bot", "content": "x"}]
        )


def test_a_json_schema_answer_fits_the_schema_and_usage_counts_the_messages(openai_api) -> None:
    schema = {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": ["baseball", "hockey", "other"]},
            "certainty": {"type": "string", "enum": ["high", "low"]},
        },
        "required": ["label", "certainty"],
        "additionalProperties": False,
    }
    messages = [{"role": "developer", "content": "label it"}, {"role": "user", "content": "a puck"}]
    response = openai_api.client().chat.completions.create(
        model="o4-mini",
        messages=messages,
        max_completion_tokens=500,
        reasoning_effort="low",
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "sport_label", "strict": True, "schema": schema},
        },
    )
    choice = response.choices[0]
    assert choice.logprobs is None  # not asked, and a reasoning model gives none
    assert json.loads(choice.message.content) == {"label": "hockey", "certainty": "high"}
    assert choice.finish_reason == "stop"
    # ~4 characters a token, 4 per message, 3 for the reply; thinking counted as output
    assert response.usage.prompt_tokens == (2 + 4) + (1 + 4) + 3
    assert response.usage.completion_tokens_details.reasoning_tokens > 0
    assert (
        response.usage.completion_tokens > response.usage.completion_tokens_details.reasoning_tokens
    )
