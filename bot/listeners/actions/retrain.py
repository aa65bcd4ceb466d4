"""The App Home Retrain button: admins only, checked again on every click."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.admins import AdminCheck
from bot.retraining import Retrainer
from training.config import Settings
from training.errors import RunInProgressError

log = logging.getLogger(__name__)


def retrain_clicked(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    *,
    settings: Settings,
    admins: AdminCheck,
    retrainer: Retrainer,
) -> None:
    ack()
    user = body["user"]["id"]
    # The button may be stale (admin rights removed since the Home tab was drawn).
    if not admins.is_admin(client, user):
        log.warning("Refused a retraining requested from App Home by non-admin user %s", user)
        return
    # Posting to a user id lands in the app's DM with them.
    channel = settings.slack.report_channel or user
    try:
        retrainer.start(client, user=user, channel=channel)
    except RunInProgressError as error:
        client.chat_postMessage(channel=user, text=f"Not started: {error}")
