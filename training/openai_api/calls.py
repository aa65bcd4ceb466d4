"""The one boundary between sportbot and the ``openai`` library's exceptions.

Every OpenAI call sportbot makes (file upload and content, job create, retrieve,
list, events, cancel, pause, and the completions a fine-tuned model answers)
runs inside ``translated(...)``: an ``openai`` exception never leaves it, only
one of ours (training/errors.py) with a message that says what to do next. The
CLI prints that message as one line; the Slack app and the run report show it.

The client itself is built here too (``build_client``), so a process that only
asks a chat model imports this module and not the fine-tuning code.

The original exception is not chained: OpenAI's own messages may quote part of
the API key, and tracebacks end up in logs. Messages are redacted too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai

from training.config import OpenAISettings
from training.errors import (
    ConfigError,
    FineTuningRefusedError,
    OpenAIAuthError,
    OpenAIError,
    OpenAINotFoundError,
    OpenAIRateLimitError,
    OpenAITimeoutError,
    OpenAIUnreachableError,
)

_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-*.]{3,}|Bearer\s+\S+)")
# Said once wherever OpenAI refuses a new fine-tuning job (its deprecations page).
CLOSING_NOTE = (
    "OpenAI has closed self-serve fine-tuning for most organisations since 2026-07-02 "
    "and for all from 2027-01-06"
)


def build_client(settings: OpenAISettings) -> openai.OpenAI:
    """An ``openai.OpenAI`` client from sportbot's settings.

    A ``base_url`` of None lets the client read OPENAI_BASE_URL itself.
    """
    if not settings.api_key:
        raise ConfigError("OPENAI_API_KEY is not set; OpenAI models need it.")
    return openai.OpenAI(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
    )


@contextmanager
def translated(
    what: str,
    *,
    settings: OpenAISettings | None = None,
    client: Any = None,
    creating_job: bool = False,
) -> Iterator[None]:
    """Raise our OpenAIError family instead of openai's exceptions.

    ``what`` completes a sentence: "for model babbage-002", "while uploading
    train.jsonl". ``creating_job`` marks the one call whose refusal means that
    the organisation may not fine-tune (any 4xx without a faulty parameter).
    """
    try:
        yield
    except openai.OpenAIError as exc:
        raise openai_error(
            exc, what, settings or settings_of(client), creating_job=creating_job
        ) from None


def settings_of(client: Any) -> OpenAISettings:
    """The parts of an ``openai.OpenAI`` client the messages mention (key only to redact)."""
    if client is None:
        return OpenAISettings()
    timeout = getattr(client, "timeout", None)
    seconds = timeout if isinstance(timeout, int | float) else getattr(timeout, "read", None)
    return OpenAISettings(
        api_key=getattr(client, "api_key", None),
        timeout=float(seconds) if seconds is not None else 10.0,
        max_retries=int(getattr(client, "max_retries", 0) or 0),
    )


def openai_error(
    exc: openai.OpenAIError,
    what: str,
    settings: OpenAISettings | None = None,
    *,
    creating_job: bool = False,
) -> OpenAIError:
    """Our exception for one of openai's, with a message a person can act on."""
    settings = settings or OpenAISettings()
    secret = settings.api_key
    retries = f"after {settings.max_retries} retries"
    if isinstance(exc, openai.APITimeoutError):
        return OpenAITimeoutError(
            f"OpenAI did not answer within {settings.timeout:g} s {what} ({retries}). "
            "Try again later, or raise SPORTBOT_OPENAI_TIMEOUT."
        )
    if isinstance(exc, openai.APIConnectionError):
        return OpenAIUnreachableError(
            f"Cannot reach OpenAI at {_host(exc)} {what} ({retries}): "
            f"{redact(_reason(exc), secret)}. Check the network, proxies and OPENAI_BASE_URL."
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, what, secret, retries, creating_job)
    return OpenAIError(f"OpenAI client failed {what}: {redact(str(exc), secret)}")


def _status_error(
    exc: openai.APIStatusError, what: str, secret: str | None, retries: str, creating_job: bool
) -> OpenAIError:
    said = f"HTTP {exc.status_code}: {redact(_openai_message(exc), secret)}"
    request_id = exc.response.headers.get("x-request-id")
    if request_id:
        said += f"; request id {request_id}"
    code, param = _field(exc, "code"), _field(exc, "param")
    found = {"status_code": exc.status_code, "code": code}
    if isinstance(exc, openai.AuthenticationError):
        return OpenAIAuthError(
            f"OpenAI refused the API key {what}: set OPENAI_API_KEY to a valid key ({said}).",
            **found,
        )
    if isinstance(exc, openai.RateLimitError):
        advice = (
            "the account is out of quota: check billing at platform.openai.com"
            if code == "insufficient_quota"
            else "wait a minute and try again, or send fewer texts at once"
        )
        return OpenAIRateLimitError(
            f"OpenAI rate limit {what}, still {retries} ({said}): {advice}.", **found
        )
    if creating_job and 400 <= exc.status_code < 500:
        if param:
            return OpenAIError(
                f"OpenAI refused the fine-tuning job's {param} ({said}).",
                **found,
            )
        return FineTuningRefusedError(
            f"OpenAI refused to create the fine-tuning job ({said}). {CLOSING_NOTE}: "
            "train the local model instead (`sportbot train --backend local`); "
            "the active model stays.",
            **found,
        )
    if isinstance(exc, openai.NotFoundError):
        return OpenAINotFoundError(
            f"Not found {what}: check OPENAI_API_KEY and the model id ({said}).", **found
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return OpenAIError(
            f"No access {what}: check OPENAI_API_KEY and the model id ({said}).", **found
        )
    advice = "try again later" if exc.status_code >= 500 else "check the request"
    return OpenAIError(
        f"OpenAI answered HTTP {exc.status_code} {what} ({said}): {advice}.", **found
    )


def redact(text: str, secret: str | None = None) -> str:
    """``text`` without ``secret`` and without anything that looks like an API key."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return _KEY_PATTERN.sub("[redacted]", text)


def _field(exc: openai.APIStatusError, name: str) -> str | None:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    value = body.get(name) if isinstance(body, dict) else None
    return str(value) if value is not None else None


def _openai_message(exc: openai.APIStatusError) -> str:
    return _field(exc, "message") or exc.response.reason_phrase or "no message"


def _host(exc: openai.APIConnectionError) -> str:
    try:
        url = exc.request.url
        return f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}"
    except (AttributeError, RuntimeError):
        return "the configured base URL"


def _reason(exc: openai.APIConnectionError) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(cause) if cause else str(exc)
