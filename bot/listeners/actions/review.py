"""App Home's Reject buttons: an admin rejects one correction, or all of a person's."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import blocks
from bot.admins import AdminCheck
from bot.home_chart import HomeChart
from bot.listeners.events.app_home import publish_home
from bot.model_source import ModelSource
from bot.teaching import Teaching
from training.storage.tags import TagStore

log = logging.getLogger(__name__)


def reject_clicked(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    *,
    admins: AdminCheck,
    teaching: Teaching,
    models: ModelSource,
    tags: TagStore,
    home_chart: HomeChart,
) -> None:
    ack()
    admin = body["user"]["id"]
    # The Home tab may be stale (admin rights removed since it was drawn).
    if not admins.is_admin(client, admin):
        log.warning("Refused a rejection from non-admin user %s", admin)
        return
    value = str(action.get("value") or "")
    if action["action_id"] == blocks.REJECT_ACTION:
        if not value.isdigit():
            return
        teaching.reject(client, by=admin, ids=[int(value)])
    else:
        teaching.reject(client, by=admin, user=value)
    publish_home(
        client,
        admin,
        models=models,
        tags=tags,
        admins=admins,
        teaching=teaching,
        home_chart=home_chart,
    )
