"""A local stand-in for the OpenAI API, spoken to by the real ``openai`` client.

OpenAI cannot be reached from tests, and the ``openai`` library parses
responses leniently (a missing required field becomes ``None``), so a fake
that sends half a response would let tests pass against shapes the real API
never returns. This server sends every field the API reference lists,
including the ones that are null, over real HTTP on 127.0.0.1.

Endpoints: ``/v1/completions``, ``/v1/chat/completions``, ``/v1/files``
(upload, retrieve, content, list, delete) and ``/v1/fine_tuning/jobs``
(create, retrieve, list, cancel, pause, resume, events, checkpoints).

Strict where the real API is (openai/openai-openapi, ``CreateFineTuningJobRequest``):
job creation refuses unknown parameters, a suffix outside 1..64 characters, a
seed outside 0..2147483647, metadata beyond 16 keys (keys up to 64, string
values up to 512 characters), ``n_epochs`` outside 1..50, a base model that
cannot be fine-tuned and files not uploaded with purpose ``fine-tune``.

Chat completions are checked as ``CreateChatCompletionRequest`` describes them:
unknown parameters, message roles and contents, ``temperature`` 0..2,
``top_logprobs`` only with ``logprobs`` (0..20), reasoning models (o-series,
gpt-5 family) refusing ``temperature``/``top_p`` other than 1, ``logprobs`` and
``max_tokens`` (and other models refusing ``reasoning_effort``), and a
``response_format`` json_schema with a valid name whose strict schema closes
every object and requires every property. A json_schema answer is a JSON object
the schema allows (an enum takes the scorer's label); ``usage`` counts the
messages' tokens (about 4 characters each) and a reasoning model's thinking.

Use the ``openai_api`` fixture (exposed by tests/conftest.py)::

    def test_something(openai_api):
        client = openai_api.client()              # or openai_api.settings()
        openai_api.fail_next(429, times=3)        # the next 3 requests answer 429
        openai_api.stall_next(1.0)                # the next request answers after 1 s
        openai_api.scorer = lambda model, text: {" hockey": 0.0}
        ...
        openai_api.requests[-1].json["max_tokens"]

Fine-tuning jobs move only when the test says so: ``advance(job_id)`` takes
one step along validating_files → queued → running → succeeded,
``advance(job_id, "failed", error=...)`` jumps, and ``script(job_id, [...])``
applies one status per retrieve so polling code sees progress. ``paused``
(the pause endpoint's answer, missing from the spec's status list) is a
status too: ``advance(job_id, "paused")`` or ``POST .../pause``.

Jobs that existed before the test (another deployment's, an old database's):
``add_job(metadata={"sportbot_run": "1"}, status="succeeded")``. An organisation
that may no longer fine-tune: ``refuse_fine_tuning()`` makes every job creation
answer the documented error shape with a 4xx.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

# (model, text) -> {token: logprob}, most likely first.
Scorer = Callable[[str, str], Mapping[str, float]]

HOCKEY_WORDS = re.compile(r"puck|goalie|nhl|hockey|stanley cup|power play|rink", re.IGNORECASE)
LEGACY_BASES = ("babbage-002", "davinci-002")
JOB_STEPS = ("validating_files", "queued", "running", "succeeded")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# What the library lists as fine-tunable (plus dated snapshots of them).
FINE_TUNABLE = ("babbage-002", "davinci-002", "gpt-3.5-turbo", "gpt-4o-mini", "gpt-4.1")
CREATE_JOB_PARAMS = frozenset(
    {
        "model",
        "training_file",
        "validation_file",
        "suffix",
        "seed",
        "method",
        "metadata",
        "hyperparameters",
        "integrations",
    }
)
MAX_SEED = 2_147_483_647
# The message OpenAI gives organisations that may no longer create fine-tuning jobs
# (its deprecations page: closed to most since 2026-07-02, to all from 2027-01-06).
FINE_TUNING_CLOSED = (
    "Fine-tuning job creation is no longer available for your organization. "
    "Existing fine-tuned models remain available for inference."
)
# The key settings()/client() use; its tail appears nowhere else, so leak checks mean something.
TEST_API_KEY = "sk-standin-test-Q7zX"
RESULT_CSV_HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"


def keyword_scorer(model: str, text: str) -> dict[str, float]:
    """The default label rule: hockey words mean hockey, anything else baseball.

    The answer looks like a fine-tune's: the label with a leading space first,
    a case variant, noise tokens, and for about a third of the texts (chosen
    by a hash, so runs repeat) the other class missing from the top list, as
    in the walkthrough's ``{' hockey': 0.0, ' Hockey': -22.5}``.
    """
    label, other = ("hockey", "baseball") if HOCKEY_WORDS.search(text) else ("baseball", "hockey")
    if zlib.crc32(text.encode("utf-8")) % 3 == 0:
        return {f" {label}": -0.0001, f" {label.title()}": -9.8, "\n": -12.1, " the": -13.0}
    return {
        f" {label}": -0.02,
        f" {other}": -4.1,
        f" {label.title()}": -6.3,
        "\n": -9.7,
        f" {other.title()}": -11.4,
    }


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)  # multipart fields; files as bytes


@dataclass
class _Failure:
    status: int
    message: str | None
    code: str | None
    error_type: str | None
    param: str | None
    retry_after: float | None
    path: str | None


@dataclass
class _Stall:
    seconds: float
    path: str | None


class OpenAIStandIn:
    """The server object the ``openai_api`` fixture yields."""

    def __init__(self, scorer: Scorer = keyword_scorer, api_key: str | None = None) -> None:
        self.scorer: Scorer = scorer
        self.api_key = api_key  # when set, other bearer tokens get 401
        self.requests: list[RecordedRequest] = []
        self.shuffle_choices = False  # answer batch choices in reverse order
        self.results_base64 = True  # result files arrive base64-encoded, as they may
        self.files: dict[str, dict[str, Any]] = {}
        self.file_contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.checkpoints: dict[str, list[dict[str, Any]]] = {}
        self._scripts: dict[str, list[str]] = {}
        self._refusal: _Reply | None = None
        self._failures: list[_Failure] = []
        self._stalls: list[_Stall] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._last_time = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> OpenAIStandIn:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"standin": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def settings(self, **changes: Any):
        """OpenAISettings pointing at this server (fast defaults: timeout 5 s, no retries)."""
        from training.config import OpenAISettings

        values = {"api_key": TEST_API_KEY, "base_url": self.base_url}
        values |= {"timeout": 5.0, "max_retries": 0} | changes
        return OpenAISettings(**values)

    def client(self, **kwargs: Any):
        """A real ``openai.OpenAI`` client talking to this server."""
        import openai

        values = {"api_key": TEST_API_KEY, "base_url": self.base_url, "max_retries": 0}
        return openai.OpenAI(**(values | {"timeout": 5.0} | kwargs))

    # -- what the test tells the server -----------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        message: str | None = None,
        code: str | None = None,
        error_type: str | None = None,
        param: str | None = None,
        retry_after: float | None = 0.01,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (to ``path``, if given) with an error.

        The body is OpenAI's ``{"error": {message, type, param, code}}`` with
        realistic defaults per status (401 invalid_api_key, 404
        model_not_found, 429 rate_limit_exceeded with Retry-After, 500
        server_error). ``retry_after`` (seconds) only applies to 429.
        """
        failure = _Failure(status, message, code, error_type, param, retry_after, path)
        with self._lock:
            self._failures.extend([failure] * times)

    def stall_next(self, seconds: float, times: int = 1, *, path: str | None = None) -> None:
        """Answer the next ``times`` requests only after ``seconds`` (past a client's timeout)."""
        with self._lock:
            self._stalls.extend([_Stall(seconds, path)] * times)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path is ``path`` (e.g. '/v1/completions')."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == path and (method is None or r.method == method.upper())
            ]

    def advance(
        self,
        job_id: str,
        status: str | None = None,
        *,
        error: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]:
        """Move a job one step on (or straight to ``status``); returns the job.

        ``error`` ({code, message, param}) is used when the status is
        ``failed``; a default error is used otherwise.
        """
        with self._lock:
            job = self.jobs[job_id]
            if status is None:
                if job["status"] in TERMINAL:
                    return job
                if job["status"] == "paused":
                    status = "running"
                else:
                    status = JOB_STEPS[JOB_STEPS.index(job["status"]) + 1]
            self._set_status(job, status, error)
            return job

    def finish(self, job_id: str) -> dict[str, Any]:
        """Advance a job through every step until it succeeds."""
        while self.jobs[job_id]["status"] not in TERMINAL:
            self.advance(job_id)
        return self.jobs[job_id]

    def script(self, job_id: str, statuses: Sequence[str]) -> None:
        """Apply one status from ``statuses`` before each retrieve of ``job_id``."""
        with self._lock:
            self._scripts[job_id] = list(statuses)

    def add_file(self, content: bytes, filename: str, purpose: str = "fine-tune") -> dict:
        """Store a file as if it had been uploaded; returns its file object."""
        with self._lock:
            file_id = _new_id("file-")
            self.files[file_id] = {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": self._now(),
                "filename": filename,
                "purpose": purpose,
                "status": "processed",
                "expires_at": None,
                "status_details": None,
            }
            self.file_contents[file_id] = content
            return self.files[file_id]

    def add_job(
        self,
        *,
        model: str = "babbage-002",
        training_file: str | None = None,
        metadata: Mapping[str, str] | None = None,
        status: str = "validating_files",
        suffix: str | None = None,
    ) -> dict[str, Any]:
        """A job that exists before the test starts (another deployment's, an old one).

        Without ``training_file`` a file of its own is stored for it, so its data
        is not any run's. Returns the job, moved to ``status``.
        """
        if training_file is None:
            training_file = self.add_file(b'{"prompt": "x", "completion": " y"}\n', "old.jsonl")[
                "id"
            ]
        body = {"metadata": dict(metadata) if metadata is not None else None, "suffix": suffix}
        job = self._new_job(body, model, training_file, {"type": "supervised", "supervised": {}})
        if status != "validating_files":
            self.advance(job["id"], status)
        return job

    def refuse_fine_tuning(
        self,
        status: int = 403,
        *,
        message: str = FINE_TUNING_CLOSED,
        code: str | None = "fine_tuning_not_available",
    ) -> None:
        """Every later job creation is refused as for an organisation that may no longer
        fine-tune: ``status`` with ``{"error": {message, type, param, code}}``. Reading
        jobs, files and using existing models go on working."""
        with self._lock:
            self._refusal = _error(status, message, "invalid_request_error", code, None)

    # -- request handling (called by the handler thread) ------------------------

    def handle(self, request: RecordedRequest) -> _Reply:
        with self._lock:
            self.requests.append(request)
            stall = _pop_matching(self._stalls, request.path)
            failure = _pop_matching(self._failures, request.path)
        if stall is not None:
            self._stopping.wait(stall.seconds)
        if failure is not None:
            return self._failure_reply(failure, request)
        if not self._authorised(request):
            return _error(
                401, _bad_key_message(request), "invalid_request_error", "invalid_api_key"
            )
        return self._route(request)

    def _authorised(self, request: RecordedRequest) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return False
        return self.api_key is None or auth[7:] == self.api_key

    def _route(self, request: RecordedRequest) -> _Reply:
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                try:
                    return handler(request, *match.groups())
                except _ApiError as err:
                    return err.reply
        return _error(
            404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error"
        )

    def _routes(self) -> list[tuple[str, str, Callable[..., _Reply]]]:
        job = r"/v1/fine_tuning/jobs/([^/]+)"
        return [
            ("POST", r"/v1/completions", self._completions),
            ("POST", r"/v1/chat/completions", self._chat),
            ("POST", r"/v1/files", self._upload),
            ("GET", r"/v1/files", self._list_files),
            ("GET", r"/v1/files/([^/]+)", self._get_file),
            ("DELETE", r"/v1/files/([^/]+)", self._delete_file),
            ("GET", r"/v1/files/([^/]+)/content", self._file_content),
            ("POST", r"/v1/fine_tuning/jobs", self._create_job),
            ("GET", r"/v1/fine_tuning/jobs", self._list_jobs),
            ("GET", job, self._get_job),
            ("POST", job + "/cancel", self._cancel_job),
            ("POST", job + "/pause", self._pause_job),
            ("POST", job + "/resume", self._resume_job),
            ("GET", job + "/events", self._list_events),
            ("GET", job + "/checkpoints", self._list_checkpoints),
        ]

    def _failure_reply(self, failure: _Failure, request: RecordedRequest) -> _Reply:
        model = (request.json or {}).get("model", "") if isinstance(request.json, dict) else ""
        defaults = _FAILURE_DEFAULTS.get(failure.status, _FAILURE_DEFAULTS[500])
        message = failure.message or defaults[0].format(model=model, key=_masked_key(request))
        reply = _error(
            failure.status,
            message,
            failure.error_type or defaults[1],
            failure.code if failure.code is not None else defaults[2],
            failure.param,
        )
        if failure.status == 429 and failure.retry_after is not None:
            reply.headers["retry-after-ms"] = str(int(failure.retry_after * 1000))
            reply.headers["retry-after"] = str(max(1, round(failure.retry_after)))
        return reply

    # -- completions ---------------------------------------------------------------

    def _completions(self, request: RecordedRequest) -> _Reply:
        body = _json_body(request)
        model = _require(body, "model")
        if not _is_legacy(model):
            raise _ApiError(
                _error(404, _CHAT_ONLY.format(model=model), "invalid_request_error", None, "model")
            )
        prompts = _require(body, "prompt")
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        k = body.get("logprobs")
        if k is not None and not 0 <= k <= 5:
            raise _ApiError(
                _error(
                    400,
                    f"{k} is greater than the maximum of 5 - 'logprobs'",
                    "invalid_request_error",
                    None,
                    "logprobs",
                )
            )
        choices = [self._completion_choice(i, model, p, k) for i, p in enumerate(prompts)]
        if self.shuffle_choices:
            choices.reverse()
        usage = _usage(sum(_rough_tokens(p) for p in prompts), len(prompts))
        return _Reply(
            200,
            {
                "id": _new_id("cmpl-"),
                "object": "text_completion",
                "created": self._now(),
                "model": model,
                "choices": choices,
                "system_fingerprint": None,
                "usage": usage,
            },
        )

    def _completion_choice(self, index: int, model: str, prompt: str, k: int | None) -> dict:
        top = _ranked(self.scorer(model, prompt))
        token, logprob = top[0]
        logprobs = None
        if k is not None:
            logprobs = {
                "tokens": [token],
                "token_logprobs": [logprob],
                "top_logprobs": [dict(top[:k])] if k else [],
                "text_offset": [len(prompt)],
            }
        return {"text": token, "index": index, "logprobs": logprobs, "finish_reason": "length"}

    # -- chat ----------------------------------------------------------------------

    def _chat(self, request: RecordedRequest) -> _Reply:
        body = _json_body(request)
        model = _require(body, "model")
        if _is_legacy(model):
            raise _ApiError(
                _error(404, _NOT_CHAT.format(model=model), "invalid_request_error", None, "model")
            )
        _check_chat_request(body, model)
        messages = body["messages"]
        k = body.get("top_logprobs")
        user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        user = user if isinstance(user, str) else json.dumps(user)
        top = _ranked(self.scorer(model, user))
        token, logprob = top[0]
        logprobs = None
        if body.get("logprobs"):
            logprobs = {
                "content": [
                    {
                        "token": token,
                        "logprob": logprob,
                        "bytes": list(token.encode("utf-8")),
                        "top_logprobs": [
                            {"token": t, "logprob": lp, "bytes": list(t.encode("utf-8"))}
                            for t, lp in top[: k or 0]
                        ],
                    }
                ],
                "refusal": None,
            }
        content, finish = token, "length"
        schema = _answer_schema(body.get("response_format"))
        if schema is not None:  # structured output: a JSON object the schema allows
            content, finish = json.dumps(_schema_answer(schema, token)), "stop"
        elif (body.get("max_completion_tokens") or body.get("max_tokens") or 2) > 1:
            finish = "stop"
        reasoning = REASONING_TOKENS if _is_reasoning(model) else 0
        prompt_tokens = sum(_rough_tokens(str(m.get("content", ""))) + 4 for m in messages) + 3
        completion_tokens = (1 if schema is None else _rough_tokens(content)) + reasoning
        return _Reply(
            200,
            {
                "id": _new_id("chatcmpl-"),
                "object": "chat.completion",
                "created": self._now(),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": content,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": logprobs,
                        "finish_reason": finish,
                    }
                ],
                "usage": _usage(prompt_tokens, completion_tokens, reasoning),
                "service_tier": "default",
                "system_fingerprint": "fp_standin",
            },
        )

    # -- files ---------------------------------------------------------------------

    def _upload(self, request: RecordedRequest) -> _Reply:
        upload = request.form.get("file")
        purpose = request.form.get("purpose")
        if not isinstance(upload, tuple) or not purpose:
            raise _ApiError(
                _error(
                    400,
                    "Both 'file' and 'purpose' are required.",
                    "invalid_request_error",
                    None,
                    "file",
                )
            )
        filename, content = upload
        return _Reply(200, self.add_file(content, filename, purpose.decode()))

    def _list_files(self, request: RecordedRequest) -> _Reply:
        with self._lock:
            files = sorted(self.files.values(), key=lambda f: f["created_at"], reverse=True)
        return _Reply(200, _page(files, request.query, "id"))

    def _get_file(self, request: RecordedRequest, file_id: str) -> _Reply:
        return _Reply(200, self._file(file_id))

    def _delete_file(self, request: RecordedRequest, file_id: str) -> _Reply:
        self._file(file_id)
        with self._lock:
            del self.files[file_id]
            del self.file_contents[file_id]
        return _Reply(200, {"id": file_id, "object": "file", "deleted": True})

    def _file_content(self, request: RecordedRequest, file_id: str) -> _Reply:
        self._file(file_id)
        return _Reply(200, self.file_contents[file_id], content_type="application/octet-stream")

    def _file(self, file_id: str) -> dict:
        with self._lock:
            if file_id not in self.files:
                raise _ApiError(
                    _error(
                        404, f"No such File object: {file_id}", "invalid_request_error", None, "id"
                    )
                )
            return self.files[file_id]

    # -- fine-tuning jobs -------------------------------------------------------------

    def _create_job(self, request: RecordedRequest) -> _Reply:
        body = _json_body(request)
        with self._lock:
            if self._refusal is not None:
                return self._refusal
        unknown = sorted(set(body) - CREATE_JOB_PARAMS)
        if unknown:
            _invalid(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
        model = _require(body, "model")
        if not isinstance(model, str) or not model.startswith(FINE_TUNABLE):
            _invalid(f"Model {model} is not available for fine-tuning or does not exist.", "model")
        training_file = _require(body, "training_file")
        for name in ("training_file", "validation_file"):
            if body.get(name) is None:
                continue
            file = self.files.get(body[name])
            if file is None:
                raise _ApiError(
                    _error(
                        400,
                        f"invalid {name}: {body[name]}",
                        "invalid_request_error",
                        "invalid_file",
                        name,
                    )
                )
            if file["purpose"] != "fine-tune":
                _invalid(f"File {body[name]} was not uploaded with purpose 'fine-tune'.", name)
        suffix = body.get("suffix")
        if suffix is not None and not (isinstance(suffix, str) and 1 <= len(suffix) <= 64):
            _invalid("suffix must be between 1 and 64 characters", "suffix")
        seed = body.get("seed")
        if seed is not None and not (
            isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= MAX_SEED
        ):
            _invalid(f"seed must be an integer between 0 and {MAX_SEED}", "seed")
        _check_metadata(body.get("metadata"))
        method = body.get("method") or {"type": "supervised", "supervised": {}}
        _check_method(method)
        job = self._new_job(body, model, training_file, method)
        return _Reply(200, job)

    def _new_job(self, body: dict, model: str, training_file: str, method: dict) -> dict:
        hyper = _hyperparameters(body, method)
        seed = body.get("seed")
        job = {
            "id": _new_id("ftjob-"),
            "object": "fine_tuning.job",
            "model": model,
            "created_at": self._now(),
            "error": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": hyper,
            "organization_id": "org-standin",
            "result_files": [],
            "seed": seed if seed is not None else secrets.randbelow(2**31),
            "status": "validating_files",
            "trained_tokens": None,
            "training_file": training_file,
            "validation_file": body.get("validation_file"),
            "estimated_finish": None,
            "integrations": body.get("integrations") or [],
            "metadata": body.get("metadata"),
            "method": _method_with(method, hyper),
            "user_provided_suffix": body.get("suffix"),
        }
        with self._lock:
            self.jobs[job["id"]] = job
            self.events[job["id"]] = []
            self.checkpoints[job["id"]] = []
            self._event(job, "info", f"Created fine-tuning job: {job['id']}")
            self._event(job, "info", f"Validating training file: {training_file}")
        return job

    def _list_jobs(self, request: RecordedRequest) -> _Reply:
        wanted = {
            key[len("metadata[") : -1]: value
            for key, value in request.query.items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        with self._lock:
            jobs = [
                j
                for j in reversed(list(self.jobs.values()))
                if all((j["metadata"] or {}).get(k) == v for k, v in wanted.items())
            ]
        return _Reply(200, _page(jobs, request.query, "id"))

    def _get_job(self, request: RecordedRequest, job_id: str) -> _Reply:
        with self._lock:
            job = self._job(job_id)
            script = self._scripts.get(job_id)
            if script:
                self._set_status(job, script.pop(0), None)
            return _Reply(200, job)

    def _cancel_job(self, request: RecordedRequest, job_id: str) -> _Reply:
        with self._lock:
            job = self._job(job_id)
            if job["status"] in TERMINAL:
                raise _ApiError(
                    _error(
                        400,
                        f"Job {job_id} has already {job['status']}.",
                        "invalid_request_error",
                        None,
                        None,
                    )
                )
            self._set_status(job, "cancelled", None)
            return _Reply(200, job)

    def _pause_job(self, request: RecordedRequest, job_id: str) -> _Reply:
        with self._lock:
            job = self._job(job_id)
            if job["status"] != "running":
                _invalid(f"Job {job_id} is {job['status']}; only a running job can be paused.")
            self._set_status(job, "paused", None)
            return _Reply(200, job)

    def _resume_job(self, request: RecordedRequest, job_id: str) -> _Reply:
        with self._lock:
            job = self._job(job_id)
            if job["status"] != "paused":
                _invalid(f"Job {job_id} is {job['status']}; only a paused job can be resumed.")
            self._set_status(job, "running", None)
            return _Reply(200, job)

    def _list_events(self, request: RecordedRequest, job_id: str) -> _Reply:
        with self._lock:
            self._job(job_id)
            events = list(reversed(self.events[job_id]))
        return _Reply(200, _page(events, request.query, "id", with_ids=False))

    def _list_checkpoints(self, request: RecordedRequest, job_id: str) -> _Reply:
        with self._lock:
            self._job(job_id)
            points = list(reversed(self.checkpoints[job_id]))
        return _Reply(200, _page(points, request.query, "id"))

    def _job(self, job_id: str) -> dict:
        if job_id not in self.jobs:
            raise _ApiError(
                _error(
                    404,
                    f"No such fine-tuning job: {job_id}",
                    "invalid_request_error",
                    "fine_tune_not_found",
                    "id",
                )
            )
        return self.jobs[job_id]

    def _set_status(self, job: dict, status: str, error: Mapping | None) -> None:
        if status not in (*JOB_STEPS, "paused", "failed", "cancelled"):
            raise ValueError(f"unknown job status {status!r}")
        current = job["status"]
        if current == status or current in TERMINAL:
            return
        if current == "paused" and status in JOB_STEPS:
            # A resumed job goes on running where it stopped (no second start event).
            job["status"] = "running"
            self._event(job, "info", "Fine-tuning job resumed")
            current = "running"
            if status == "running":
                return
        if current in JOB_STEPS and status in JOB_STEPS:
            # Jumping ahead passes through the steps in between, as a real job does.
            for step in JOB_STEPS[JOB_STEPS.index(current) + 1 : JOB_STEPS.index(status) + 1]:
                self._enter(job, step, error)
        else:
            self._enter(job, status, error)

    def _enter(self, job: dict, status: str, error: Mapping | None) -> None:
        job["status"] = status
        {
            "queued": self._on_queued,
            "running": self._on_running,
            "succeeded": self._on_succeeded,
            "failed": lambda j: self._on_failed(j, error),
            "cancelled": self._on_cancelled,
            "paused": self._on_paused,
        }.get(status, lambda j: None)(job)

    def _on_queued(self, job: dict) -> None:
        self._event(job, "info", "Files validated, moving job to queued state")

    def _on_running(self, job: dict) -> None:
        job["estimated_finish"] = self._now() + 600
        hyper = job["hyperparameters"]
        for name, value in (("n_epochs", 3), ("batch_size", 1), ("learning_rate_multiplier", 2.0)):
            if hyper.get(name) in (None, "auto"):
                hyper[name] = value
        self._event(job, "info", "Fine-tuning job started")
        for step in (1, 2):
            metrics = {
                "step": step,
                "train_loss": 1.0 / step,
                "train_mean_token_accuracy": 0.5,
                "total_steps": 2,
            }
            self._event(
                job,
                "info",
                f"Step {step}/2: training loss={1.0 / step:.2f}",
                kind="metrics",
                data=metrics,
            )

    def _on_succeeded(self, job: dict) -> None:
        suffix = job["user_provided_suffix"] or ""
        short = secrets.token_hex(4)
        job["fine_tuned_model"] = f"ft:{job['model']}:standin:{suffix}:{short}"
        job["finished_at"] = self._now()
        job["trained_tokens"] = 12_345
        job["estimated_finish"] = None
        self._add_checkpoint(job, 2)
        job["result_files"] = [self._result_file(job)["id"]]
        self._event(job, "info", f"New fine-tuned model created: {job['fine_tuned_model']}")
        self._event(job, "info", "The job has successfully completed")

    def _on_failed(self, job: dict, error: Mapping | None) -> None:
        error = dict(
            error
            or {
                "code": "invalid_training_file",
                "message": "The job failed due to an invalid training file.",
                "param": "training_file",
            }
        )
        job["error"] = {
            "code": error.get("code"),
            "message": error.get("message"),
            "param": error.get("param"),
        }
        job["finished_at"] = self._now()
        job["estimated_finish"] = None
        self._event(job, "error", job["error"]["message"] or "The job failed.")

    def _on_paused(self, job: dict) -> None:
        job["estimated_finish"] = None
        self._event(job, "info", "Fine-tuning job paused")

    def _on_cancelled(self, job: dict) -> None:
        job["finished_at"] = self._now()
        job["estimated_finish"] = None
        self._event(job, "info", "Fine-tuning job cancelled")

    def _add_checkpoint(self, job: dict, step: int) -> None:
        self.checkpoints[job["id"]].append(
            {
                "id": _new_id("ftckpt_"),
                "object": "fine_tuning.job.checkpoint",
                "created_at": self._now(),
                "fine_tuned_model_checkpoint": f"{job['fine_tuned_model']}:ckpt-step-{step}",
                "fine_tuning_job_id": job["id"],
                "step_number": step,
                "metrics": {
                    "step": float(step),
                    "train_loss": 0.5,
                    "train_mean_token_accuracy": 0.9,
                    "valid_loss": 0.6,
                    "valid_mean_token_accuracy": 0.85,
                    "full_valid_loss": 0.6,
                    "full_valid_mean_token_accuracy": 0.85,
                },
            }
        )

    def _result_file(self, job: dict) -> dict:
        rows = [RESULT_CSV_HEADER, "1,1.0,0.5,,", "2,0.5,0.75,0.6,0.85"]
        content = ("\n".join(rows) + "\n").encode()
        if self.results_base64:
            content = base64.b64encode(content)
        return self.add_file(content, "step_metrics.csv", "fine-tune-results")

    def _event(
        self,
        job: dict,
        level: str,
        message: str,
        *,
        kind: str = "message",
        data: dict | None = None,
    ) -> None:
        self.events[job["id"]].append(
            {
                "id": _new_id("ftevent-"),
                "object": "fine_tuning.job.event",
                "created_at": self._now(),
                "level": level,
                "message": message,
                "data": data if data is not None else {},
                "type": kind,
            }
        )

    def _now(self) -> int:
        # Strictly increasing, so "newest first" has one answer.
        with self._lock:
            self._last_time = max(int(time.time()), self._last_time + 1)
            return self._last_time


# -- replies and helpers -----------------------------------------------------------


@dataclass
class _Reply:
    status: int
    body: Any
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


class _ApiError(Exception):
    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.body)
        self.reply = reply


_FAILURE_DEFAULTS = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: (
        "Incorrect API key provided: {key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: ("You are not allowed to use model {model}.", "invalid_request_error", None),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: (
        "Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1. Please try again in 20s.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}
_CHAT_ONLY = (
    "This is a chat model and not supported in the v1/completions endpoint. "
    "Did you mean to use v1/chat/completions? ({model})"
)
_NOT_CHAT = (
    "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
    "Did you mean to use v1/completions? ({model})"
)


def _error(
    status: int, message: str, error_type: str, code: str | None = None, param: str | None = None
) -> _Reply:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return _Reply(status, body, headers={"x-request-id": _new_id("req_")})


def _masked_key(request: RecordedRequest) -> str:
    # OpenAI echoes a masked key: the first characters and the last four.
    key = request.headers.get("authorization", "")[7:]
    return f"{key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}" if len(key) > 12 else "***"


def _bad_key_message(request: RecordedRequest) -> str:
    return _FAILURE_DEFAULTS[401][0].format(key=_masked_key(request))


def _pop_matching(queue: list, path: str) -> Any:
    for i, item in enumerate(queue):
        if item.path is None or item.path == path:
            return queue.pop(i)
    return None


def _json_body(request: RecordedRequest) -> dict:
    if not isinstance(request.json, dict):
        raise _ApiError(
            _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        )
    return request.json


def _require(body: dict, name: str) -> Any:
    if body.get(name) in (None, "", []):
        raise _ApiError(
            _error(400, f"you must provide a {name} parameter", "invalid_request_error", None, name)
        )
    return body[name]


def _invalid(message: str, param: str | None = None) -> None:
    raise _ApiError(_error(400, message, "invalid_request_error", None, param))


def _check_metadata(metadata: Any) -> None:
    # The spec's Metadata: at most 16 pairs, keys up to 64 and string values up to 512.
    if metadata is None:
        return
    if not isinstance(metadata, dict) or len(metadata) > 16:
        _invalid("metadata must be an object of at most 16 key-value pairs", "metadata")
    for key, value in metadata.items():
        if len(key) > 64 or not isinstance(value, str) or len(value) > 512:
            _invalid(
                "metadata keys must be at most 64 characters and values strings of at most 512",
                "metadata",
            )


def _check_method(method: Any) -> None:
    if not isinstance(method, dict) or method.get("type") not in (
        "supervised",
        "dpo",
        "reinforcement",
    ):
        _invalid("method.type must be one of supervised, dpo, reinforcement", "method")
    hyper = (method.get(method["type"]) or {}).get("hyperparameters") or {}
    epochs = hyper.get("n_epochs", "auto")
    if epochs != "auto" and not (isinstance(epochs, int) and 1 <= epochs <= 50):
        _invalid("n_epochs must be 'auto' or an integer between 1 and 50", "method")


def _is_legacy(model: str) -> bool:
    base = model.split(":")[1] if model.startswith("ft:") else model
    return base.startswith(LEGACY_BASES)


def _ranked(top: Mapping[str, float]) -> list[tuple[str, float]]:
    ranked = sorted(top.items(), key=lambda item: item[1], reverse=True)
    if not ranked:
        raise ValueError("the scorer returned no tokens")
    return ranked


def _rough_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _usage(prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> dict:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": reasoning_tokens,
            "rejected_prediction_tokens": 0,
        },
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
    }


# -- chat completions, as strict as the API reference (CreateChatCompletionRequest)

CHAT_PARAMS = frozenset(
    {
        "model", "messages", "audio", "frequency_penalty", "function_call", "functions",
        "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
        "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty",
        "prompt_cache_key", "reasoning_effort", "response_format", "safety_identifier",
        "seed", "service_tier", "stop", "store", "stream", "stream_options", "temperature",
        "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
        "web_search_options",
    }
)  # fmt: skip
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# Reasoning models (o-series, gpt-5 family) refuse sampling parameters and logprobs.
REASONING_MODELS = ("o1", "o3", "o4", "gpt-5")
REASONING_EFFORTS = frozenset({"none", "minimal", "low", "medium", "high", "xhigh"})
# What a reasoning model's answer is billed for thinking, in the stand-in.
REASONING_TOKENS = 64
_SCHEMA_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _is_reasoning(model: str) -> bool:
    base = model.split(":")[1] if model.startswith("ft:") else model
    return base.startswith(REASONING_MODELS)


def _check_chat_request(body: dict, model: str) -> None:
    """400s the real API answers for the chat completion shapes sportbot sends."""
    unknown = sorted(set(body) - CHAT_PARAMS)
    if unknown:
        _invalid(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
    _check_messages(_require(body, "messages"))
    if _is_reasoning(model):
        _check_reasoning_request(body, model)
    elif "reasoning_effort" in body:
        _unsupported(
            f"'reasoning_effort' is not supported with this model ({model}).", "reasoning_effort"
        )
    temperature = body.get("temperature")
    if temperature is not None and not (
        isinstance(temperature, int | float) and 0 <= temperature <= 2
    ):
        _invalid("temperature must be a number between 0 and 2", "temperature")
    k = body.get("top_logprobs")
    if k is not None and not (body.get("logprobs") and isinstance(k, int) and 0 <= k <= 20):
        _invalid("top_logprobs needs logprobs=true and 0..20", "top_logprobs")
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is not None and not (isinstance(value, int) and value >= 1):
            _invalid(f"{name} must be an integer of at least 1", name)
    _check_response_format(body.get("response_format"), body["messages"])


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list):
        _invalid("'messages' must be an array", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in CHAT_ROLES:
            _invalid(
                f"Invalid value for 'messages[{i}].role': expected one of "
                f"{', '.join(sorted(CHAT_ROLES))}.",
                f"messages[{i}].role",
            )
        content = message.get("content")
        if not isinstance(content, str | list) and not (
            message["role"] == "assistant" and content is None and message.get("tool_calls")
        ):
            _invalid(f"Invalid type for 'messages[{i}].content'.", f"messages[{i}].content")


def _check_reasoning_request(body: dict, model: str) -> None:
    for name in ("temperature", "top_p"):
        if body.get(name) not in (None, 1):
            raise _ApiError(
                _error(
                    400,
                    f"Unsupported value: '{name}' does not support {body[name]} with this "
                    "model. Only the default (1) value is supported.",
                    "invalid_request_error",
                    "unsupported_value",
                    name,
                )
            )
    for name in ("logprobs", "top_logprobs"):
        if body.get(name):
            _unsupported(f"'{name}' is not supported with this model ({model}).", name)
    if "max_tokens" in body:
        _unsupported(
            "'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            "max_tokens",
        )
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        _invalid(f"Invalid value for 'reasoning_effort': {effort!r}.", "reasoning_effort")


def _unsupported(message: str, param: str) -> None:
    raise _ApiError(
        _error(400, f"Unsupported parameter: {message}", "invalid_request_error",
               "unsupported_parameter", param)
    )  # fmt: skip


def _check_response_format(response_format: Any, messages: list) -> None:
    if response_format is None:
        return
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        _invalid("response_format.type must be text, json_object or json_schema", "response_format")
    if kind == "json_object" and not any(
        "json" in str(m.get("content", "")).lower() for m in messages
    ):
        _invalid(
            "'messages' must contain the word 'json' in some form, to use 'response_format' "
            "of type 'json_object'.",
            "messages",
        )
    if kind != "json_schema":
        return
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not _SCHEMA_NAME.fullmatch(str(spec.get("name", ""))):
        _invalid(
            "response_format.json_schema.name must be 1-64 characters of a-z, A-Z, 0-9, _ and -",
            "response_format.json_schema.name",
        )
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        _invalid("response_format.json_schema.schema must be an object", "response_format")
    if spec.get("strict"):
        _check_strict_schema(spec["name"], schema, ())


def _check_strict_schema(name: str, schema: dict, where: tuple[str, ...]) -> None:
    """Structured outputs' strict rules: every object closed, every property required."""
    if schema.get("type") == "object":
        properties = schema.get("properties") or {}
        problem = None
        if schema.get("additionalProperties") is not False:
            problem = "'additionalProperties' is required to be supplied and to be false"
        elif sorted(schema.get("required") or []) != sorted(properties):
            problem = (
                "'required' is required to be supplied and to be an array including "
                "every key in properties"
            )
        if problem:
            _invalid(
                f"Invalid schema for response_format '{name}': In context={where}, {problem}.",
                "response_format",
            )
        for key, child in properties.items():
            _check_strict_schema(name, child, (*where, "properties", key))
    if "enum" in schema and not (isinstance(schema["enum"], list) and schema["enum"]):
        _invalid(f"Invalid schema for response_format '{name}': empty enum.", "response_format")


def _answer_schema(response_format: Any) -> dict | None:
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        return response_format["json_schema"]["schema"]
    return None


def _schema_answer(schema: dict, token: str) -> Any:
    """An answer the schema allows: an enum takes the scorer's token when it is one of
    its values (the label), else its first value."""
    if "enum" in schema:
        word = token.strip().lower()
        return word if word in schema["enum"] else schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {key: _schema_answer(child, token) for key, child in schema["properties"].items()}
    return {"string": "", "number": 0, "integer": 0, "boolean": False, "array": []}.get(kind)


def _hyperparameters(body: dict, method: dict) -> dict:
    kind = method.get("type", "supervised")
    given = dict(
        (method.get(kind) or {}).get("hyperparameters") or body.get("hyperparameters") or {}
    )
    return {
        name: given.get(name, "auto")
        for name in ("batch_size", "learning_rate_multiplier", "n_epochs")
    }


def _method_with(method: dict, hyper: dict) -> dict:
    kind = method.get("type", "supervised")
    return {"type": kind, kind: {**(method.get(kind) or {}), "hyperparameters": hyper}}


def _page(items: list[dict], query: Mapping[str, str], key: str, with_ids: bool = True) -> dict:
    after = query.get("after")
    if after is not None:
        ids = [item[key] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    limit = int(query.get("limit", 20))
    page = {"object": "list", "data": items[:limit], "has_more": len(items) > limit}
    if with_ids:
        page["first_id"] = page["data"][0][key] if page["data"] else None
        page["last_id"] = page["data"][-1][key] if page["data"] else None
    return page


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields: plain fields as bytes, files as (filename, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        form[name] = (filename, payload) if filename is not None else payload
    return form


class _Handler(BaseHTTPRequestHandler):
    standin: OpenAIStandIn
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows recorded requests when a test needs them."""

    def _serve(self) -> None:
        try:
            reply = self.standin.handle(self._record())
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout): nothing to answer

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        content_type = self.headers.get("content-type", "")
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        if content_type.startswith("application/json") and body:
            try:
                request.json = json.loads(body)
            except ValueError:
                request.json = None
        elif content_type.startswith("multipart/form-data"):
            request.form = _parse_multipart(content_type, body)
        return request

    def _send(self, reply: _Reply) -> None:
        payload = reply.payload()
        self.send_response(reply.status, HTTPStatus(reply.status).phrase)
        self.send_header("content-type", reply.content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("openai-processing-ms", "1")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def openai_api() -> Iterator[OpenAIStandIn]:
    """A fresh OpenAI stand-in on loopback, stopped after the test."""
    server = OpenAIStandIn().start()
    try:
        yield server
    finally:
        server.stop()
