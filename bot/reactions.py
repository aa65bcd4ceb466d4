"""Adding and removing sportbot's reactions, with Slack's expected refusals handled.

``already_reacted`` / ``no_reaction`` mean the message is already as we want it.
Refusals about the message or channel (archived, deleted, bot not a member...)
are facts of life in a busy workspace: logged, never raised, so one of them
does not stop a burst of tags. Anything else is raised as ``SlackError``.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

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


def add_reaction(client: WebClient, channel: str, ts: str, name: str) -> bool:
    """True when the reaction is on the message (added now or before)."""
    return _call(client.reactions_add, "reactions.add", channel=channel, timestamp=ts, name=name)


def remove_reaction(client: WebClient, channel: str, ts: str, name: str) -> bool:
    """True when the reaction is gone (removed now or never there)."""
    return _call(
        client.reactions_remove, "reactions.remove", channel=channel, timestamp=ts, name=name
    )


def _call(method, method_name: str, **params: str) -> bool:
    client = getattr(method, "__self__", None)
    if isinstance(client, WebClient):
        pace(client, method_name)  # another thread was told to wait: so is this one
    try:
        method(**params)
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        if code in DONE:
            return True
        if code in SKIPPABLE:
            where = f"{params['channel']}/{params['timestamp']}"
            log.warning("%s refused for %s: %s", method_name, where, code)
            return False
        raise SlackError(f"Slack {method_name} failed: {code}") from error
    return True
