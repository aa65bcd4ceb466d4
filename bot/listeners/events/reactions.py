"""Reactions teach: a sport's emoji on a message gives it that label, the
"not sports" emoji says it is neither; removing the reaction withdraws it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.teaching import Teacher, Teaching

log = logging.getLogger(__name__)


def reaction_added(
    event: dict[str, Any], client: WebClient, context: BoltContext, *, teaching: Teaching
) -> None:
    item = event.get("item", {})
    if item.get("type") != "message":
        return
    teacher = Teacher.of_context(
        context,
        user=event.get("user"),
        channel=item.get("channel"),
        user_team=event.get("user_team"),
        bot_id=event.get("bot_id"),
    )
    outcome = teaching.reacted(client, teacher, str(item.get("ts", "")), event.get("reaction", ""))
    log.debug("reaction on %s/%s: %s", item.get("channel"), item.get("ts"), outcome)


def reaction_removed(
    event: dict[str, Any], client: WebClient, context: BoltContext, *, teaching: Teaching
) -> None:
    item = event.get("item", {})
    user = event.get("user")
    if item.get("type") != "message" or not user or user == context.bot_user_id:
        return
    teaching.unreacted(client, user, item["channel"], item["ts"], event.get("reaction", ""))
