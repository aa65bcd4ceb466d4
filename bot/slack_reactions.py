"""Adding and removing sportbot's reactions, with Slack's expected refusals handled.

``already_reacted`` / ``no_reaction`` mean the message is already as we want it.
Refusals about the message or channel (archived, deleted, bot not a member...)
are facts of life in a busy workspace: logged, never raised, so one of them
does not stop a burst of tags. Anything else is raised as ``SlackError``.

The tagger wants every refusal, not only those (``reaction_refusal``): each
one is a tag that will not get its reaction, stored with the reason.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_client import TOKEN_ERRORS as SLACK_TOKEN_ERRORS
from bot.slack_client import pace
from training.errors import SlackError

log = logging.getLogger(__name__)

DONE = {"already_reacted", "no_reaction"}
SKIPPABLE = {
    "not_in_channel",
    "channel_not_found",
    "message_not_found",
    "is_archived",
    "not_reactable",
    "too_many_reactions",
    "thread_locked",
    "no_item_specified",
}
# Refusals about the app's settings or token, not one message: every tag meets them.
SETTINGS_ERRORS = {"invalid_name"}
TOKEN_ERRORS = SLACK_TOKEN_ERRORS | {"missing_scope"}


def reaction_refusal(client: WebClient, channel: str, ts: str, name: str) -> str | None:
    """Add a reaction: None when it is on the message (added now or before), else
    Slack's error code. Raises only when Slack gave no answer (network, 5xx)."""
    return _refusal(client.reactions_add, "reactions.add", channel=channel, timestamp=ts, name=name)


def add_reaction(client: WebClient, channel: str, ts: str, name: str) -> bool:
    """True when the reaction is on the message (added now or before)."""
    return _call(client.reactions_add, "reactions.add", channel=channel, timestamp=ts, name=name)


def remove_reaction(client: WebClient, channel: str, ts: str, name: str) -> bool:
    """True when the reaction is gone (removed now or never there)."""
    return _call(
        client.reactions_remove, "reactions.remove", channel=channel, timestamp=ts, name=name
    )


def _call(method, method_name: str, **params: str) -> bool:
    try:
        code = _refusal(method, method_name, **params)
    except SlackApiError as error:
        status = error.response.status_code
        raise SlackError(f"Slack {method_name} failed: HTTP {status}") from error
    if code is None:
        return True
    if code in SKIPPABLE:
        where = f"{params['channel']}/{params['timestamp']}"
        log.warning("%s refused for %s: %s", method_name, where, code)
        return False
    raise SlackError(f"Slack {method_name} failed: {code}")


def _refusal(method, method_name: str, **params: str) -> str | None:
    client = getattr(method, "__self__", None)
    if isinstance(client, WebClient):
        pace(client, method_name)  # another thread was told to wait: so is this one
    try:
        method(**params)
    except SlackApiError as error:
        if error.response.status_code >= 500:
            raise  # no answer about the reaction: it may be tried again
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        code = code or f"http_{error.response.status_code}"
        return None if code in DONE else code
    return None
