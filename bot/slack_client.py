"""The Slack Web API client every part of the app shares.

Retries live here, not in listeners: slack_sdk waits out a 429 for the
``Retry-After`` seconds and tries again, so a burst of tags queues instead of
losing reactions, and a dropped connection or a 500/503 is tried again.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from training.config import SlackSettings

# reactions.add is Tier 3 (~50/min): a burst may need several waits in a row.
RATE_LIMIT_RETRIES = 10


def make_client(slack: SlackSettings, *, timeout: int = 10) -> WebClient:
    """A WebClient on ``slack.api_url`` with connection, rate-limit and server-error retries."""
    return WebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
