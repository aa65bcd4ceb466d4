"""The tagger: stores new messages, classifies them, reacts with the label's emoji,
and fixes a tag when a person corrects it.

Two halves, so that acknowledging a message event costs one small write:

* ``Tagger.accept`` (the web process, before the ack) stores the message as a
  ``queued`` tag row. The row is the claim too: one per channel + ts, so a
  redelivery, to any process, is a duplicate. A database outage answers 503
  and Slack delivers the message again; a message Slack counts as delivered is
  never lost.
* ``Tagger.run`` (the tagger: a process beside gunicorn's workers, or a thread
  in the web process, ``SPORTBOT_TAGGER``) takes queued rows in batches when
  ``Gathering`` says so, classifies them, stores the labels and adds the
  reactions on an executor of its own, where a 429 from reactions.add is waited
  out (slack_sdk's retry handler) without holding anything else. A lone message
  waits one look (``QUIET_SECONDS``) to be sure nothing follows it.

Imports the tag store and the model source; never the listeners or middleware.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select

from bot.model_source import ModelSource
from bot.tagger.gathering import Gathering
from bot.tagger.rules import DUPLICATE, IGNORED, Emoji, is_taggable
from bot.tagger.slack_reactions import (
    RefusalReport,
    add_reaction,
    reaction_refusal,
    remove_reaction,
)
from bot.tagger.statuses import StatusWriter
from training.classifiers.base import SPORT_LABELS, valid_text
from training.config import SlackSettings
from training.errors import DatabaseUnavailableError, NoModelError, SportbotError
from training.storage.schema import Tag, utcnow
from training.storage.tags import (
    CORRECTED,
    FAILED,
    PENDING,
    QUEUED,
    SKIPPED,
    TAGGED,
    QueuedTag,
    TagStore,
    TagUpdate,
)

log = logging.getLogger(__name__)

# How long a tagger waits for the model a starting process is loading.
MODEL_LOAD_WAIT = 60.0
# Queued messages taken per round, and how long an idle tagger sleeps between looks.
BATCH = 64
IDLE_WAIT = 0.1
# How long the tagger waits between looks while messages are still arriving.
QUIET_SECONDS = 0.05
# A running tagger looks for tags a killed one left pending this often (a fraction
# of the grace period, so they are taken up soon after it ends; a cheap indexed query).
RESUME_LOOK_MIN = 0.5
RESUME_LOOK_MAX = 10.0

__all__ = ["DUPLICATE", "IGNORED", "QUEUED", "Tagger"]  # what the package exports


class Tagger:
    """Stores new messages, classifies them and puts the label's emoji on them."""

    def __init__(
        self,
        slack: SlackSettings,
        tags: TagStore,
        models: ModelSource,
        executor: Executor | None = None,
    ) -> None:
        self.slack = slack
        self.tags = tags
        self.models = models
        self.emoji = Emoji(slack)
        # Four threads add reactions; a burst's wait here while rate limits are waited
        # out (their tags are ``pending`` meanwhile, which a restart finishes).
        self._executor = executor or ThreadPoolExecutor(4, thread_name_prefix="tagger")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._report_refusal = RefusalReport(self.emoji)
        self._gathering = Gathering(slack.tag_delay_seconds)
        self._statuses = StatusWriter(tags, self._stop)

    # ----- the web process: before the ack ---------------------------------

    def accept(self, event: Mapping[str, Any]) -> str:
        """Store a new message for tagging: QUEUED, DUPLICATE or IGNORED.

        DatabaseUnavailableError when it cannot be stored (the caller answers 503).
        """
        if not is_taggable(event, self.slack):
            return IGNORED
        channel, ts = event["channel"], event["ts"]
        if self.tags.queue_tag(channel=channel, ts=ts, text=valid_text(event["text"])):
            return QUEUED
        log.info("Message %s/%s already stored: duplicate delivery ignored", channel, ts)
        return DUPLICATE

    def wake(self) -> None:
        """A message was queued: an in-process tagger looks now, not at its next poll."""
        self._wake.set()

    # ----- the tagger -----------------------------------------------------------

    def start(self, client: WebClient) -> threading.Thread:
        """Run the tagger in a daemon thread of this process (``SPORTBOT_TAGGER=thread``)."""
        thread = threading.Thread(target=self.run, args=(client,), name="tagger", daemon=True)
        thread.start()
        return thread

    def stop(self, wait: float = 0.0) -> None:
        """End ``run`` and the status writer (after it writes what it holds); ``wait``:
        seconds to wait for the writer to finish."""
        self._stop.set()
        self._wake.set()
        self._statuses.stop(wait)

    def run(self, client: WebClient) -> None:
        """Tag queued messages until ``stop()``; finish what a killed tagger left, at start
        and whenever its pending tags pass SPORTBOT_PENDING_GRACE_SECONDS (a process
        restarted at once finds them still too young to take)."""
        self._resume(client)
        next_resume = time.monotonic() + self._resume_every()
        while not self._stop.is_set():
            if time.monotonic() >= next_resume:
                self._resume(client)
                next_resume = time.monotonic() + self._resume_every()
            try:
                taken = self.work_once(client)
            except DatabaseUnavailableError as error:
                log.warning("Tagger cannot reach the database: %s", error)
                self._stop.wait(2.0)
                continue
            except Exception:
                log.exception("Tagging round failed")
                taken = 0
            if self._gathering.waiting:
                # Not the wake event: every stored message sets it, so waiting on it
                # would mean one look per message in the middle of a burst.
                self._stop.wait(QUIET_SECONDS)
            elif not taken:
                self._wake.wait(IDLE_WAIT)
                self._wake.clear()

    def work_once(self, client: WebClient) -> int:
        """Classify one batch of queued messages and queue their reactions; how many.

        0 as well while messages are still arriving and the oldest has waited less
        than the tag delay (``Gathering``): the next look takes them.
        """
        queued = self.tags.queued_tags(BATCH)
        if not self._gathering.ready([row.id for row in queued], full=len(queued) == BATCH):
            return 0
        # Messages queued while the process starts wait for the model, not fail.
        self.models.wait_loaded(MODEL_LOAD_WAIT)
        results = [self._classified(row) for row in queued]
        settled = self.tags.settle_queued(results)
        for row, result, ours in zip(queued, results, settled, strict=True):
            if ours and result["status"] == PENDING:
                self._statuses.claim(row.channel, row.ts)
                try:
                    self._executor.submit(
                        self._logged, self.react, client, row.channel, row.ts, result["reaction"]
                    )
                except RuntimeError:
                    # The interpreter is exiting (a worker stopping) and has shut the
                    # executor down: the next start finishes what is left pending.
                    log.info(
                        "Process exiting: the tagger leaves its pending tags to the next start"
                    )
                    self._stop.set()
                    break
        return len(queued)

    def _classified(self, row: QueuedTag) -> dict[str, Any]:
        """The settled values of one queued row: labelled, or skipped/failed with why."""
        result = {"tag_id": row.id, "label": None, "confidence": None, "model_id": None}
        try:
            prediction = self.models.classify(row.text).prediction
        except NoModelError:
            log.info("No active model: message %s/%s left untagged", row.channel, row.ts)
            return {**result, "reaction": None, "status": SKIPPED}
        except SportbotError as error:  # an OpenAI model failing with no local fallback
            log.warning("Could not classify message %s/%s: %s", row.channel, row.ts, error)
            return {**result, "reaction": None, "status": FAILED}
        reaction = self._reaction(prediction.label, prediction.confidence)
        return {
            **result,
            "label": prediction.label,
            "confidence": prediction.confidence,
            "model_id": prediction.model,
            "reaction": reaction,
            "status": PENDING if reaction else SKIPPED,
        }

    def _logged(self, step: Any, *args: Any) -> Any:
        try:
            return step(*args)
        except Exception:
            # On the tagger's executor, so @app.error never sees this: log it here.
            # The tag stays pending: a later look past the grace period tries it again.
            log.exception("Tagging %s/%s failed", *args[1:3])
            self._statuses.release([(args[1], args[2])])
            return FAILED

    def _resume_every(self) -> float:
        grace = self.slack.pending_grace_seconds
        return min(max(grace / 4, RESUME_LOOK_MIN), RESUME_LOOK_MAX)

    def react(self, client: WebClient, channel: str, ts: str, reaction: str) -> str:
        """Put the reaction of a classified tag on the message; the tag's final status
        (stored shortly after, with other reactions' statuses: ``StatusWriter``).

        Every answer of Slack's is final: ``tagged`` when the reaction is on, else
        ``failed`` with Slack's error code. Only a call Slack did not answer (the
        network, a 5xx) raises, and leaves the tag ``pending`` for a later try."""
        refusal = reaction_refusal(client, channel, ts, reaction)
        if refusal is None:
            outcome = TagUpdate(channel, ts, TAGGED, reaction=reaction)
        else:
            self._report_refusal(channel, ts, reaction, refusal)
            outcome = TagUpdate(channel, ts, FAILED, failure=refusal)
        self._statuses.put(outcome)
        return outcome.status

    def _resume(self, client: WebClient) -> None:
        try:
            self.resume_pending(client, older_than=self.slack.pending_grace_seconds)
        except Exception:  # the database may be down at start: the next start tries again
            log.warning("Could not finish pending tags", exc_info=True)

    def resume_pending(self, client: WebClient, *, older_than: float) -> int:
        """Finish tags a killed tagger left pending (classified, reaction maybe not added).

        reactions.add is idempotent for us (``already_reacted`` counts as done), so
        finishing a tag twice never puts two reactions on a message. Only tags
        older than ``older_than`` seconds: younger ones may be a live tagger's work
        (this process's own are skipped whatever their age). Queued rows need
        nothing: any tagger takes them.
        """
        cutoff = utcnow() - timedelta(seconds=older_than)
        with self.tags.db.session() as session:
            found = session.execute(
                select(Tag.channel_id, Tag.message_ts, Tag.reaction).where(
                    Tag.status == PENDING, Tag.created_at < cutoff
                )
            ).all()
        rows = self._statuses.claim_unclaimed(found)
        for channel, ts, reaction in rows:
            try:
                if reaction:
                    self.react(client, channel, ts, reaction)
                else:
                    self.tags.set_tag_status(channel, ts, SKIPPED)
                    self._statuses.release([(channel, ts)])
            except Exception as error:  # one tag's trouble never holds up the others
                log.warning("Tag %s/%s left pending: %s", channel, ts, _reason(error))
                self._statuses.release([(channel, ts)])
        if rows:
            log.info("Finished %d tag(s) left pending by a stopped process", len(rows))
        return len(rows)

    def _reaction(self, label: str, confidence: float) -> str | None:
        if label in SPORT_LABELS and confidence >= self.slack.threshold:
            return self.emoji.for_label(label)
        return None

    def fix_tag(self, client: WebClient, *, channel: str, ts: str, label: str, user: str) -> bool:
        """Swap sportbot's reaction for the corrected label's; False when the message has no tag."""
        new = self.emoji.for_label(label)
        before = self.tags.correct_tag(channel=channel, ts=ts, label=label, user=user, reaction=new)
        if before is None:
            return False
        self._swap_reaction(client, channel, ts, before.reaction, new)
        return True

    def restore_tag(self, client: WebClient, *, channel: str, ts: str) -> bool:
        """Put the model's own tag back once nobody's label stands for the message
        (withdrawn, rejected, or a tie); False when it was not corrected."""
        tag = self.tags.tag_for(channel, ts)
        if tag is None or tag.status != CORRECTED:
            return False
        own = self._reaction(tag.label or "", tag.confidence or 0.0)
        self.tags.uncorrect_tag(
            channel=channel, ts=ts, status=TAGGED if own else SKIPPED, reaction=own
        )
        self._swap_reaction(client, channel, ts, tag.reaction, own)
        return True

    @staticmethod
    def _swap_reaction(
        client: WebClient, channel: str, ts: str, old: str | None, new: str | None
    ) -> None:
        if old and old != new:
            remove_reaction(client, channel, ts, old)
        if new and new != old:
            add_reaction(client, channel, ts, new)


def _reason(error: Exception) -> str:
    """One line about an error, without its traceback."""
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]
