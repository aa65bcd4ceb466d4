"""Automatic tagging of channel messages, and fixing a tag when a person corrects it.

Tagging runs on an executor of its own, after Bolt has acknowledged the
event: a 429 from reactions.add is waited out there (slack_sdk's retry
handler) without holding the threads that acknowledge /sport and buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select

from bot.models import ModelSource
from bot.reactions import add_reaction, remove_reaction
from training.classifiers.base import SPORT_LABELS
from training.config import SlackSettings
from training.errors import NoModelError
from training.feedback import FAILED, PENDING, SKIPPED, TAGGED, FeedbackStore
from training.schema import Tag, utcnow

log = logging.getLogger(__name__)

# How long a queued message waits for the model a starting process is loading.
MODEL_LOAD_WAIT = 60.0

# What ``Tagger.accept`` returns for a message it does not tag (an edit, a bot's post...).
IGNORED = ("ignored", None)
# The key under which the middleware hands ``accept``'s answer to the message listener.
ACCEPTED = "sportbot_accepted"

# Subtypes that are a person's new message; edits, deletions, joins, bot posts are not.
TAGGABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}


def is_taggable(event: Mapping[str, Any], slack: SlackSettings) -> bool:
    """A new message written by a person, in a channel sportbot tags."""
    if event.get("subtype") not in TAGGABLE_SUBTYPES or event.get("bot_id"):
        return False
    if not event.get("user") or not (event.get("text") or "").strip():
        return False
    return not slack.channels or event.get("channel") in slack.channels


class Emoji:
    """The reaction of each label, and the label of each reaction."""

    def __init__(self, slack: SlackSettings) -> None:
        self.by_label = {"baseball": slack.emoji_baseball, "hockey": slack.emoji_hockey}
        self.labels = {name: label for label, name in self.by_label.items()}

    def for_label(self, label: str) -> str | None:
        return self.by_label.get(label)

    def label_of(self, reaction: str) -> str | None:
        # "baseball::skin-tone-2" style names keep the base name before "::".
        return self.labels.get(reaction.split("::")[0])


class Tagger:
    """Classifies messages and puts the label's emoji on them."""

    def __init__(
        self,
        slack: SlackSettings,
        feedback: FeedbackStore,
        models: ModelSource,
        executor: Executor | None = None,
    ) -> None:
        self.slack = slack
        self.feedback = feedback
        self.models = models
        self.emoji = Emoji(slack)
        # Bounded: a burst queues here while rate limits are waited out.
        self._executor = executor or ThreadPoolExecutor(4, thread_name_prefix="tagger")

    def accept(self, event: Mapping[str, Any]) -> tuple[str, str | None] | None:
        """Before the ack: store the tag of a new message, or say the work is left for later.

        With a loaded local model (sub-millisecond) the message is classified and
        its tag row written here, in the request thread: a message Slack counts as
        delivered then always has a row (``pending`` until its reaction is on, which
        ``resume_pending`` finishes after a crash), and a database outage answers
        503 so that Slack delivers the message again. The row is also what makes a
        redelivery a duplicate. Returns what ``record`` returns (``IGNORED`` for a
        message that is not to be tagged), or None when the model is remote or not
        loaded yet: ``submit`` then does everything after the ack.
        """
        if not is_taggable(event, self.slack):
            return IGNORED
        if not self._local_model():
            return None
        return self.record(event)

    def finish(self, client: WebClient, event: Mapping[str, Any], accepted: tuple) -> Future:
        """After the ack: queue the reaction of a tag ``accept`` stored."""
        status, reaction = accepted
        if status != PENDING:
            done: Future = Future()
            done.set_result(status)
            return done
        channel, ts = event["channel"], event["ts"]
        return self._executor.submit(self._logged, self.react, client, channel, ts, reaction)

    def submit(self, client: WebClient, event: Mapping[str, Any]) -> Future:
        """Tag ``event`` off the caller's thread.

        With a local model (sub-millisecond) the tag row is written here, before
        returning: a process killed while reactions wait in the queue leaves
        ``pending`` rows that ``resume_pending`` finishes, instead of losing
        messages whose event Slack will not deliver again. A remote model's
        seconds of classifying go to the queue with the rest.
        """
        event = dict(event)
        if not self._local_model():
            return self._executor.submit(self._logged, self.tag, client, event)
        return self.finish(client, event, self._logged(self.record, event))

    def _local_model(self) -> bool:
        try:
            return self.models.current()[0] == "local"
        except Exception:  # no model or still loading: the queued path says why
            return False

    def _logged(self, step: Any, *args: Any) -> Any:
        try:
            return step(*args)
        except Exception:
            # Off Bolt's listener threads, so @app.error never sees this: log it here.
            where = [arg for arg in args if isinstance(arg, dict)] or [{}]
            log.exception("Tagging %s/%s failed", where[0].get("channel"), where[0].get("ts"))
            return (FAILED, None) if step == self.record else FAILED

    def tag(self, client: WebClient, event: Mapping[str, Any]) -> str:
        """Tag one message; the tag's status (tagged, skipped, failed) or "duplicate"."""
        status, reaction = self.record(event)
        if status != PENDING:
            return status
        return self.react(client, event["channel"], event["ts"], reaction)

    def record(self, event: Mapping[str, Any]) -> tuple[str, str | None]:
        """Classify and store the tag: (PENDING, reaction) when a reaction is to be added,
        else (final status or "duplicate", None)."""
        channel, ts, text = event["channel"], event["ts"], event["text"]
        # Messages arriving while the process starts wait for the model, not fail.
        self.models.wait_loaded(MODEL_LOAD_WAIT)
        try:
            prediction = self.models.classify(text).prediction
        except NoModelError:
            log.info("No active model: message %s/%s left untagged", channel, ts)
            return SKIPPED, None
        reaction = self._reaction(prediction.label, prediction.confidence)
        if not self.feedback.record_tag(
            channel=channel,
            ts=ts,
            text=text,
            label=prediction.label,
            confidence=prediction.confidence,
            model_id=prediction.model,
            reaction=reaction,
        ):
            # Slack delivered the message again (a retry, maybe to another process).
            log.info("Message %s/%s already tagged: duplicate delivery ignored", channel, ts)
            return "duplicate", None
        if not reaction:
            self.feedback.set_tag_status(channel, ts, SKIPPED)
            return SKIPPED, None
        return PENDING, reaction

    def react(self, client: WebClient, channel: str, ts: str, reaction: str) -> str:
        """Put the reaction of a recorded tag on the message; the tag's final status."""
        status = TAGGED if add_reaction(client, channel, ts, reaction) else FAILED
        self.feedback.set_tag_status(
            channel, ts, status, reaction=reaction if status == TAGGED else None
        )
        return status

    def resume_pending(self, client: WebClient, *, older_than: float) -> int:
        """Finish tags a killed process left pending (claimed, reaction maybe not added).

        reactions.add is idempotent for us (``already_reacted`` counts as done), so
        finishing a tag twice never puts two reactions on a message. Only tags
        older than ``older_than`` seconds: younger ones may be a live process's work.
        """
        cutoff = utcnow() - timedelta(seconds=older_than)
        with self.feedback.db.session() as session:
            rows = session.execute(
                select(Tag.channel_id, Tag.message_ts, Tag.reaction).where(
                    Tag.status == PENDING, Tag.created_at < cutoff
                )
            ).all()
        for channel, ts, reaction in rows:
            if reaction:
                self.react(client, channel, ts, reaction)
            else:
                self.feedback.set_tag_status(channel, ts, SKIPPED)
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
        before = self.feedback.correct_tag(
            channel=channel, ts=ts, label=label, user=user, reaction=new
        )
        if before is None:
            return False
        if before.reaction and before.reaction != new:
            remove_reaction(client, channel, ts, before.reaction)
        if new and new != before.reaction:
            add_reaction(client, channel, ts, new)
        return True
