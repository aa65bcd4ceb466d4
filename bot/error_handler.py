"""The app's one error handler: log, then tell the user what to do about it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.errors import SlackApiError

from training.errors import (
    ClassifyError,
    DatabaseUnavailableError,
    NoModelError,
    OpenAIRateLimitError,
    OpenAITimeoutError,
    SlackError,
    SportbotError,
)

log = logging.getLogger(__name__)

SLACK_ADVICE = {
    "not_in_channel": "I am not in this channel: invite me with `/invite @sportbot`.",
    "channel_not_found": "I cannot see this channel: invite me with `/invite @sportbot`.",
    "is_archived": "This channel is archived.",
}


def user_message(error: Exception) -> str:
    """What the person who triggered the request should read."""
    if isinstance(error, NoModelError):
        return "No model yet: an admin can run `/sport retrain`."
    if isinstance(error, OpenAIRateLimitError | OpenAITimeoutError):
        return "The OpenAI model is busy right now; try again in a minute."
    if isinstance(error, DatabaseUnavailableError):
        return "sportbot cannot reach its database right now; try again shortly."
    if isinstance(error, ClassifyError | SlackError | SportbotError):
        return str(error)
    if isinstance(error, SlackApiError):
        code = error.response.get("error", "")
        return SLACK_ADVICE.get(code, f"Slack refused a request ({code}); try again.")
    return "Something went wrong in sportbot; the server log has the details."


def handle_error(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    context: Any,
) -> BoltResponse | None:
    if isinstance(error, BoltUnhandledRequestError):
        return _unhandled(body, response)
    if isinstance(error, SportbotError):
        log.warning("Request failed: %s", error)
    else:
        log.error("Request failed", exc_info=error)
    if isinstance(error, DatabaseUnavailableError) and body.get("type") == "event_callback":
        # Not claimed, not tagged: a 503 (no X-Slack-No-Retry) has Slack deliver it again
        # (after ~1 and ~5 minutes), by when the database is usually back.
        return BoltResponse(status=503, body="")
    message = user_message(error)
    if response is not None and response.status >= 400:
        # Not acknowledged yet: the message becomes the HTTP reply (shown ephemerally).
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": message})
    if context.get("response_url"):
        context.respond(message, response_type="ephemeral", replace_original=False)
    return None


def _unhandled(body: dict[str, Any], response: BoltResponse | None) -> BoltResponse | None:
    # Every event delivery must get a 200, or Slack retries and may disable the app.
    if body.get("type") == "event_callback":
        log.debug("No listener for %s: answered 200", body.get("event", {}).get("type"))
        return BoltResponse(status=200, body="")
    log.warning("Unhandled request of type %s", body.get("type"))
    return None
