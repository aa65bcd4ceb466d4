"""People teaching sportbot: reactions, the correction buttons, admins' rejections.

Every gesture becomes at most one vote per person and message
(``training.storage.votes``), only from people who may teach (``bot.admins.TeacherCheck``),
only with a known label; then the message's tag shows the label the votes
resolve to (``training.storage.teaching.winning_label``), or the model's own once
nobody's label stands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.admins import AdminCheck, TeacherCheck
from bot.model_source import ModelSource
from bot.tagger import Tagger
from training.classifiers.base import LABELS
from training.config import TeachingSettings
from training.data import OTHER_LABEL
from training.errors import SportbotError
from training.storage.tags import CORRECTED, FAILED, SKIPPED, TAGGED, TagInfo, TagStore
from training.storage.teaching import ACCEPTED, newest_per_person, source_key, winning_label
from training.storage.votes import SAME, Correction, VoteStore

log = logging.getLogger(__name__)

# Tags a person's label may be given on: classified, whatever came of the reaction.
TEACHABLE = {TAGGED, CORRECTED, SKIPPED, FAILED}
# How many times a tag is settled again while the votes keep moving under it.
SETTLE_ROUNDS = 5


@dataclass(frozen=True)
class Teacher:
    """Who did it, as the request says."""

    user: str | None
    team: str | None  # this workspace
    channel: str | None
    user_team: str | None = None
    bot_id: str | None = None
    own_user: str | None = None

    @classmethod
    def of_context(cls, context: BoltContext, **fields: Any) -> Teacher:
        result = context.authorize_result
        team = (result.team_id if result is not None else None) or context.team_id
        return cls(team=team, own_user=context.bot_user_id, **fields)


class Teaching:
    """Turns people's gestures into votes and keeps messages' tags in step with them."""

    def __init__(
        self,
        *,
        teaching: TeachingSettings,
        tags: TagStore,
        votes: VoteStore,
        tagger: Tagger,
        admins: AdminCheck,
        teachers: TeacherCheck,
        models: ModelSource,
    ) -> None:
        self.models = models
        self.settings = teaching
        self.tags = tags
        self.votes = votes
        self.tagger = tagger
        self.admins = admins
        self.teachers = teachers

    def label_of_reaction(self, reaction: str) -> str | None:
        """A sport's emoji gives its label, the "not sports" emoji ``other``."""
        if reaction.split("::")[0] == self.settings.emoji_not_sport:
            return OTHER_LABEL
        return self.tagger.emoji.label_of(reaction)

    # ----- reactions -------------------------------------------------------------

    def reacted(self, client: WebClient, teacher: Teacher, ts: str, reaction: str) -> str:
        """A reaction on a channel message; what came of it (for the log)."""
        label = self.label_of_reaction(reaction)
        if label is None or not teacher.channel:
            return "not a label"
        tag = self.tags.tag_for(teacher.channel, ts)
        why_not = _unteachable(tag, label)
        if why_not:
            return why_not
        said = (tag.label, tag.confidence)  # what the model said when it tagged the message
        return self._cast(
            client, teacher, label, tag.text or "", ts=ts, source="reaction", said=said
        )

    def unreacted(self, client: WebClient, user: str, channel: str, ts: str, reaction: str) -> bool:
        """A person removed their reaction: their label for the message is withdrawn."""
        label = self.label_of_reaction(reaction)
        if label is None or not user:
            return False
        key = source_key(channel, ts, "")
        if not self.votes.withdraw(key=key, user=user, label=label):
            return False
        self.settle(client, channel, ts)
        log.info("%s withdrew %s for %s/%s", user, label, channel, ts)
        return True

    # ----- buttons ---------------------------------------------------------------

    def clicked(
        self, client: WebClient, teacher: Teacher, label: str, text: str, ts: str | None
    ) -> str:
        """A correction button (under a /sport answer or the shortcut's)."""
        if label not in LABELS:
            return "not a label"
        tag = self.tags.tag_for(teacher.channel, ts) if teacher.channel and ts else None
        if tag is not None and tag.text:
            text = tag.text  # the whole message, not the button's cut of it
        return self._cast(
            client, teacher, label, text, ts=ts, source="button", said=self._said(text)
        )

    def _said(self, text: str) -> tuple[str | None, float | None]:
        """What the active model answers for ``text`` (nothing when it cannot answer)."""
        try:
            prediction = self.models.classify(text).prediction
        except SportbotError:
            return None, None
        return prediction.label, prediction.confidence

    # ----- admins ----------------------------------------------------------------

    def reject(
        self, client: WebClient, *, by: str, ids: Iterable[int] = (), user: str | None = None
    ) -> int:
        """Reject corrections (by id, or all of one person's); tags follow."""
        ids = list(ids)
        if not ids and not user:
            return 0
        touched = (
            self.votes.corrections(ids=ids)
            if ids
            else self.votes.corrections(user=user, state=ACCEPTED)
        )
        count = self.votes.reject(by=by, ids=ids, user=user if not ids else None)
        for channel, ts in {(c.channel, c.ts) for c in touched if c.channel and c.ts}:
            self.settle(client, channel, ts)
        log.info("%s rejected %d correction(s)", by, count)
        return count

    def recent(self, limit: int) -> list[Correction]:
        return self.votes.corrections(limit=limit)

    # ----- the tag follows the votes ---------------------------------------------

    def settle(self, client: WebClient, channel: str, ts: str) -> None:
        """Make the message's tag show what its votes say now.

        Reactions arrive concurrently (in several threads and processes): one
        settling may read the votes before another's vote and write its tag after.
        So each looks again after writing and writes once more if the votes moved:
        whoever writes last has read the votes after every earlier write.
        """
        for _ in range(SETTLE_ROUNDS):
            shown = self._show_winner(client, channel, ts)
            if shown == self._winner(channel, ts)[0]:
                return
        log.warning("Votes on %s/%s kept changing while its tag was settled", channel, ts)

    def _winner(self, channel: str, ts: str) -> tuple[str | None, list[Any]]:
        key = source_key(channel, ts, "")
        votes = newest_per_person(self.votes.accepted(key)).get(key, [])
        return winning_label(votes), votes

    def _show_winner(self, client: WebClient, channel: str, ts: str) -> str | None:
        """Put the votes' winner on the message's tag; the label shown (None: the model's)."""
        winner, votes = self._winner(channel, ts)
        tag = self.tags.tag_for(channel, ts)
        if tag is None:
            return winner
        if winner is None:
            self.tagger.restore_tag(client, channel=channel, ts=ts)
            return None
        wanted = self.tagger.emoji.for_label(winner)
        if tag.status != CORRECTED or tag.current_label != winner or tag.reaction != wanted:
            newest = [vote.user for vote in votes if vote.label == winner][-1]
            self.tagger.fix_tag(client, channel=channel, ts=ts, label=winner, user=str(newest))
        return winner

    def _cast(
        self,
        client: WebClient,
        teacher: Teacher,
        label: str,
        text: str,
        *,
        ts: str | None,
        source: str,
        said: tuple[str | None, float | None],
    ) -> str:
        refusal = self.teachers.refusal(
            client,
            user=teacher.user,
            team=teacher.team,
            channel=teacher.channel,
            user_team=teacher.user_team,
            bot_id=teacher.bot_id,
            own_user=teacher.own_user,
        )
        if refusal:
            log.info("Label from %s refused: %s", teacher.user, refusal)
            return f"refused: {refusal}"
        user = str(teacher.user)
        key = source_key(teacher.channel if ts else None, ts, text)
        outcome = self.votes.cast(
            key=key,
            text=text,
            label=label,
            user=user,
            is_admin=self.admins.is_admin(client, user),
            source=source,
            channel=teacher.channel,
            ts=ts,
            model_label=said[0],
            model_confidence=said[1],
        )
        if outcome != SAME and teacher.channel and ts:
            self.settle(client, teacher.channel, ts)
        log.info("%s labelled %s as %s (%s)", user, key, label, outcome)
        return outcome


def _unteachable(tag: TagInfo | None, label: str) -> str | None:
    """Why a reaction with ``label`` on this tagged message teaches nothing."""
    if tag is None or not (tag.text or "").strip():
        return "a message sportbot has not stored"
    if tag.status not in TEACHABLE:
        return "a message not classified yet"
    if tag.status == TAGGED and tag.label == label:
        return "agrees with sportbot's tag"
    if label == OTHER_LABEL and tag.status not in (TAGGED, CORRECTED):
        return "no tag to undo"
    return None
