"""Adding and removing sportbot's reactions, with Slack's expected refusals handled.

``already_reacted`` / ``no_reaction`` mean the message is already as we want it.
Refusals about the message or channel (archived, deleted, bot not a member...)
are facts of life in a busy workspace: logged, never raised, so one of them
does not stop a burst of tags. Anything else is raised as ``SlackError``.

The tagger wants every refusal, not only those (``reaction_refusal``): each
one is a tag that will not get its reaction, stored with the reason, and
``RefusalReport`` says once what a refusal about a setting or the token means.

Slack calls only; the tag rows are the tagger's (``bot.tagger.tagger``).
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_client import TOKEN_ERRORS as SLACK_TOKEN_ERRORS
from bot.slack_client import pace
from bot.tagger.rules import Emoji
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


class RefusalReport:
    """Logs refused reactions: one warning per message, but a setting or token that
    Slack refuses fails every tag alike, so that is said once, as an error."""

    def __init__(self, emoji: Emoji) -> None:
        self.emoji = emoji
        # Refusals about settings or the token already logged: each is logged once.
        self._reported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, channel: str, ts: str, reaction: str, refusal: str) -> None:
        if refusal in SETTINGS_ERRORS:
            problem = (
                f"Slack does not know the emoji {reaction!r} ({refusal}): set "
                f"{self.emoji.setting_of(reaction)} to an emoji name of the workspace, "
                "without colons; no message gets this reaction until then"
            )
        elif refusal == "missing_scope":
            problem = (
                "SLACK_BOT_TOKEN lacks the reactions:write scope (missing_scope): reinstall "
                "the app with manifest.yml's scopes; no message is tagged until then"
            )
        elif refusal in TOKEN_ERRORS:
            problem = (
                f"Slack refused SLACK_BOT_TOKEN ({refusal}): no message is tagged until "
                "it is replaced with the app's current Bot User OAuth Token"
            )
        else:
            log.warning("reactions.add refused for %s/%s: %s", channel, ts, refusal)
            return
        # An emoji per setting; the token once, whichever emoji met it.
        key = (refusal, reaction if refusal in SETTINGS_ERRORS else "")
        with self._lock:
            if key in self._reported:
                return
            self._reported.add(key)
        log.error("%s", problem)
