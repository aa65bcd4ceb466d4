"""One Slack message that is posted once, then updated: a run's progress and its report.

Used by both sides: the training pipeline (CLI, the clock process's scheduled
retrain) and the Slack app (``/sport retrain`` posts it and hands it to the run,
admin notices). slack_sdk's and the network's errors are turned into
``SlackError`` at ``_call``, then logged as one line: Slack being down never
fails or stops a training run. Imports slack_sdk and ``training`` only (never
``bot/``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from training.config import Settings
from training.errors import SlackError
from training.slack.client import web_client

log = logging.getLogger(__name__)
MAX_LINES = 8  # progress lines kept in the Slack message


def report_client(settings: Settings) -> WebClient | None:
    """The report's WebClient (the bot's retries and 429 pacing), or None (logged) when no
    bot token is configured."""
    if not settings.slack.bot_token:
        log.info("SLACK_BOT_TOKEN is not set: the training report is not posted to Slack.")
        return None
    return web_client(settings.slack)


def progress_blocks(title: str, lines: list[str]) -> list[dict[str, Any]]:
    """The progress message: its title, then the newest lines as bullets."""
    body = "\n".join(f"• {line}" for line in lines[-MAX_LINES:]) or "…"
    return [text_block(f"*{title}*"), text_block(body)]


def text_block(text: str) -> dict[str, Any]:
    """A mrkdwn section, cut to the 3000 characters Slack accepts."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


class SlackReport:
    """One Slack message per run: posted once, then updated; failures only logged.

    Slack being down must never fail or stop a training run, so every call here
    logs one line and carries on: a Slack error, and just as well a network error
    that the client's retries did not get past (``URLError``, ``RemoteDisconnected``,
    a timeout), including the upload step of ``files_upload_v2``, which slack_sdk
    sends without retries.

    The same message serves a retraining started from Slack: the Slack app posts it
    (``start``) and hands it to the run (``train_local(report=...)``), which
    updates it with its progress and its final report (``final`` is then True).
    """

    def __init__(
        self,
        client: WebClient,
        channel: str,
        ts: str | None = None,
        *,
        title: str = "Retraining in progress",
    ) -> None:
        self.client = client
        self.channel = channel
        self.ts = ts
        self.title = title
        self.lines: list[str] = []
        self.final = False
        self._lock = threading.Lock()

    def start(self) -> str | None:
        """Post the message with its title only; returns its ts (None when Slack refused)."""
        return self.show(self.title, progress_blocks(self.title, []))

    def add(self, *lines: str) -> None:
        """Progress: the newest lines under the title, in ONE update however many lines."""
        if not lines:
            return
        with self._lock:
            self.lines = [*self.lines, *lines][-MAX_LINES:]
            shown = list(self.lines)
        text = "\n".join([self.title, *(f"• {line}" for line in shown)])
        self.show(text, progress_blocks(self.title, shown))

    def finish(self, text: str, message_blocks: list[dict[str, Any]]) -> str | None:
        """The final report: replaces the progress in the same message."""
        self.final = True
        return self.show(text, message_blocks)

    def show(self, text: str, message_blocks: list[dict[str, Any]]) -> str | None:
        """Post the message the first time, update it afterwards; returns its ts."""
        try:
            if self.ts is None:
                response = _call(
                    self.client.chat_postMessage,
                    channel=self.channel,
                    text=text,
                    blocks=message_blocks,
                )
                # Posting to a user id lands in a DM: updates need the real channel id.
                self.channel, self.ts = response["channel"], response["ts"]
            else:
                _call(
                    self.client.chat_update,
                    channel=self.channel,
                    ts=self.ts,
                    text=text,
                    blocks=message_blocks,
                )
        except SlackError as error:  # reporting never fails the run
            log.warning("Slack report not updated: %s", error)
        return self.ts

    def upload(self, paths: list[Path]) -> None:
        """Upload the charts into the message's thread (files_upload_v2)."""
        if not paths:
            return
        try:
            _call(
                self.client.files_upload_v2,
                channel=self.channel,
                thread_ts=self.ts,
                file_uploads=[{"file": str(path), "title": path.stem} for path in paths],
                request_file_info=False,
            )
        except SlackError as error:  # reporting never fails the run
            log.warning("Slack chart upload failed: %s", error)


def _call(method: Any, **kwargs: Any) -> Any:
    """Call a WebClient method; whatever it raises comes out as one SlackError line."""
    try:
        return method(**kwargs)
    except Exception as error:  # slack_sdk's, urllib's and http.client's alike
        raise SlackError(_problem(error)) from error


def _problem(error: BaseException) -> str:
    """One line saying what went wrong: Slack's error code, or the network's reason."""
    if isinstance(error, SlackApiError):
        data = error.response.data if isinstance(error.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {error.response.status_code}")
    reason = getattr(error, "reason", None) or error
    return " ".join(f"{type(error).__name__}: {reason}".split())
