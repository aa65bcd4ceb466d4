"""Retries and rate-limit pacing for every Slack Web API client sportbot makes.

One implementation for both sides: the Slack app's client (``bot.slack_client``,
which adds kept-open connections) and the training report's client use these
handlers, so a report waits out a 429 and retries a dropped connection exactly
as the bot does. training/ never imports bot/; bot/ imports this.

Rate limits are per method and per app, so the wait is shared: once one thread
is told to wait, every thread calling that method waits until the same moment
(``pace`` before a call, the retry handler after a 429). Without that, threads
woken by their own timers take each other's slots and one of them can run out
of retries during a burst of tags.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from training.config import SlackSettings

# reactions.add is Tier 3 (~50/min): a burst may need many waits in a row.
RATE_LIMIT_RETRIES = 30


class PacedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After; the wait holds for every thread of the client."""

    def __init__(self, max_retry_count: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._lock = threading.Lock()
        self._resume_at: dict[str, float] = {}

    def prepare_for_next_attempt(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> None:
        if response is None:
            raise error
        state.next_attempt_requested = True
        headers = {key.lower(): value for key, value in response.headers.items()}
        seconds = float((headers.get("retry-after") or ["1"])[0])
        method = _method(request.url)
        with self._lock:
            resume = max(self._resume_at.get(method, 0.0), time.monotonic() + seconds)
            self._resume_at[method] = resume
        self.wait(method)
        state.increment_current_attempt()

    def wait(self, method: str) -> None:
        """Sleep until ``method`` may be called again (a little jitter spreads the herd)."""
        with self._lock:
            resume = self._resume_at.get(method, 0.0)
        delay = resume - time.monotonic()
        if delay > 0:
            time.sleep(delay + random.uniform(0.0, 0.3))


def pace(client: WebClient, method: str) -> None:
    """Wait while Slack has told this client to hold ``method`` (e.g. "reactions.add")."""
    for handler in client.retry_handlers or ():
        if isinstance(handler, PacedRateLimitRetryHandler):
            handler.wait(method)


def _method(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]


def retry_handlers() -> list[RetryHandler]:
    """A dropped connection or a 5xx is tried again; a 429 is waited out (shared pacing)."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        PacedRateLimitRetryHandler(),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def web_client(
    slack: SlackSettings, *, timeout: int = 10, client_class: type[WebClient] = WebClient
) -> WebClient:
    """A ``client_class`` on ``slack.api_url`` with the bot token and ``retry_handlers()``."""
    return client_class(
        token=slack.bot_token,
        base_url=slack.api_url,
        timeout=timeout,
        retry_handlers=retry_handlers(),
    )
