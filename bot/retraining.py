"""Retraining started from Slack: off the request path, progress in one message.

The slash command or Home button only calls ``start``, which posts the
progress message and hands the run to a one-thread executor; the request is
acknowledged long before training ends. The message is the training report's
own (``training.slack.message.SlackReport``): the run takes it over, so its progress
lines and its final report update that one message (chat.update) instead of a
second one being posted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient

from bot import blocks
from training.config import Settings
from training.errors import RunInProgressError, SportbotError
from training.slack.message import SlackReport
from training.storage.database import Database
from training.storage.runs import RunStore

log = logging.getLogger(__name__)

# train_local(settings, db, *, trigger, requested_by, channel, progress, report) -> ModelInfo
RetrainFn = Callable[..., Any]


def default_retrain() -> RetrainFn:
    """The real trainer (the SPORTBOT_BACKEND backend), imported only when a retraining
    starts: training pulls in pandas and scikit-learn, which the Slack app's processes
    otherwise never load."""
    from training.pipeline.run import train_configured

    return train_configured


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
            report = SlackReport(client, channel, title=f"Retraining started by <@{user}>…")
            report.start()
            return self._executor.submit(self._run, report, user)
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

    def _run(self, report: SlackReport, user: str) -> Any:
        try:
            retrain = self._retrain or default_retrain()
            info = retrain(
                self.settings,
                self.db,
                trigger="slack",
                requested_by=user,
                channel=report.channel,
                progress=lambda line: log.info("Retraining: %s", line),
                report=report,
            )
            self._finish(report, blocks.retrain_result_text(info))
            return info
        except RunInProgressError as error:
            # Another process took the lock between check_free and the pipeline's start.
            log.info("Retraining requested by %s not started: %s", user, error)
            self._finish(report, f":hourglass: Not started: {error}")
        except SportbotError as error:
            log.warning("Retraining requested by %s failed: %s", user, error)
            self._finish(report, f":x: Retraining failed: {error}")
        except Exception:
            log.exception("Retraining requested by %s crashed", user)
            self._finish(
                report, ":x: Retraining failed unexpectedly; the server log has the details."
            )
        finally:
            self._busy.release()
        return None

    @staticmethod
    def _finish(report: SlackReport, line: str) -> None:
        """The last line, unless the run already put its final report in the message."""
        if not report.final:
            report.add(line)
