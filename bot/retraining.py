"""Retraining started from Slack: off the request path, progress in one message.

The slash command or Home button only calls ``start``, which posts the
progress message and hands the run to a one-thread executor; the request is
acknowledged long before training ends. Progress lines update that one
message (chat.update) instead of flooding the channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from training.config import Settings
from training.db import Database
from training.errors import RunInProgressError, SportbotError
from training.runs import RunStore

log = logging.getLogger(__name__)

# train_local(settings, db, *, trigger, requested_by, channel, progress) -> ModelInfo
RetrainFn = Callable[..., Any]
MAX_LINES = 12  # the progress message shows the last lines only


def default_retrain() -> RetrainFn:
    """The real trainer, imported only when a retraining starts (training may be absent)."""
    from training.train import train_local

    return train_local


class Retrainer:
    """Starts a retraining and reports it to a Slack channel.

    One run at a time across every process is the pipeline's database lock
    (``RunStore.create_locked``): ``start`` looks at it first, so a request
    reaching a second web process is refused at once, naming the run that
    holds it. Two requests racing past that look both reach the lock; the
    loser's progress message then says which run won.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        retrain: RetrainFn | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self._retrain = retrain
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="retrain")
        self._busy = threading.Lock()

    def start(self, client: WebClient, *, user: str, channel: str) -> Future:
        """Post the progress message and start the run; RunInProgressError when one runs."""
        self.check_free()
        if not self._busy.acquire(blocking=False):
            raise RunInProgressError("A retraining started here is still starting.")
        try:
            progress = ProgressMessage(client, channel, f"Retraining started by <@{user}>…")
            return self._executor.submit(self._run, progress, user, channel)
        except BaseException:
            self._busy.release()
            raise

    def check_free(self) -> None:
        """RunInProgressError naming the run that holds the training lock, if one does."""
        holder = RunStore(self.db).lock_holder()
        if holder is not None and not holder.finished:
            raise RunInProgressError(
                f"Training run {holder.id} is in progress (status {holder.status}, "
                f"started by {holder.requested_by or holder.trigger})."
            )

    def _run(self, progress: ProgressMessage, user: str, channel: str) -> Any:
        try:
            retrain = self._retrain or default_retrain()
            info = retrain(
                self.settings,
                self.db,
                trigger="slack",
                requested_by=user,
                channel=channel,
                progress=progress.add,
            )
            progress.finish(blocks.retrain_result_text(info))
            return info
        except RunInProgressError as error:
            # Another process took the lock between check_free and the pipeline's start.
            log.info("Retraining requested by %s not started: %s", user, error)
            progress.finish(f":hourglass: Not started: {error}")
        except SportbotError as error:
            log.warning("Retraining requested by %s failed: %s", user, error)
            progress.finish(f":x: Retraining failed: {error}")
        except Exception:
            log.exception("Retraining requested by %s crashed", user)
            progress.finish(":x: Retraining failed unexpectedly; the server log has the details.")
        finally:
            self._busy.release()
        return None


class ProgressMessage:
    """One channel message, posted once and then updated with the newest lines."""

    def __init__(self, client: WebClient, channel: str, title: str) -> None:
        self.client = client
        self.title = title
        self.lines: list[str] = []
        self._lock = threading.Lock()
        response = client.chat_postMessage(channel=channel, text=title)
        # Posting to a user id lands in the app's DM: chat.update needs the real channel id.
        self.channel = response["channel"]
        self.ts = response["ts"]

    def add(self, line: str) -> None:
        with self._lock:
            self.lines = [*self.lines, line][-MAX_LINES:]
            self._update()

    def finish(self, line: str) -> None:
        self.add(line)

    def _update(self) -> None:
        text = "\n".join([self.title, *(f"• {line}" for line in self.lines)])
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text)
        except SlackApiError as error:
            # A lost progress line must not stop the training itself.
            code = error.response.get("error")
            log.warning("chat.update of retraining progress failed: %s", code)
