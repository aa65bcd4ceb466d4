"""Telling sportbot's admins something once: in the report channel, or by DM."""

from __future__ import annotations

import logging

from training.config import Settings
from training.slack.message import SlackReport

log = logging.getLogger(__name__)


class AdminNotice:
    """``notice(text)``: one message in SPORTBOT_REPORT_CHANNEL, else one DM to each
    of SPORTBOT_ADMINS; the log alone when neither is set. Never raises for Slack."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, text: str) -> None:
        from bot.slack_client import make_client

        slack = self.settings.slack
        where = [slack.report_channel] if slack.report_channel else sorted(slack.admins)
        if not where or not slack.bot_token:
            log.warning("No SPORTBOT_REPORT_CHANNEL or SPORTBOT_ADMINS to tell: %s", text)
            return
        client = make_client(slack)
        for channel in where:
            SlackReport(client, channel, title=text).start()  # logs Slack's refusal itself
