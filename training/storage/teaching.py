"""What people's labels teach: one label per message, and how much it weighs.

Pure functions over votes, beside the store that keeps them (``votes``): no
database, no ``bot``, only ``training.config`` and ``training.states``. The
rule, also in the README and docs/learning-loop.md:

* **One message, one label.** Votes are grouped by what was labelled (the
  message, or for ``/sport`` text the text): a person's newest vote counts,
  once, however often they clicked.
* **Disagreement.** When an admin voted, the admins' word wins (the label most
  admins gave; a tie goes to the newest admin vote). Otherwise the majority
  wins; a tie teaches nothing until someone breaks it.
* **Contradicting a sure answer.** A label for a message the model had called
  a sport with at least ``sure_confidence`` (the reaction threshold), saying
  it is something else, is trained on only once a second person or an admin
  agrees: one person alone changes the tag, not the model.
* **Weight.** Each person agreeing with the winning label brings one credit
  (an admin ``admin_vote_weight``), at most ``admin_vote_weight`` per message.
  A non-admin's credits are capped: all of one day's together at ``cap_day``,
  all of them at ``cap_total`` (scaled down evenly past that). The example
  then weighs ``correction_weight`` training examples per credit.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from training.config import TeachingSettings
from training.states import VoteState

# A vote's states (training.states.VoteState), by short names.
ACCEPTED = VoteState.accepted
SUPERSEDED = VoteState.superseded
WITHDRAWN = VoteState.withdrawn
REJECTED = VoteState.rejected
STATES = (ACCEPTED, SUPERSEDED, WITHDRAWN, REJECTED)
SPORTS = ("baseball", "hockey")


def source_key(channel: str | None, ts: str | None, text: str) -> str:
    """What a label is about: the channel message, else the text (normalised)."""
    if channel and ts:
        return f"msg:{channel}:{ts}"
    normalised = " ".join(text.casefold().split())
    return "text:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Vote:
    """One accepted label (an ``examples`` row)."""

    id: int
    key: str
    text: str
    label: str
    user: str | None
    is_admin: bool
    created_at: datetime
    model_label: str | None = None  # what the model answered when the vote was cast
    model_confidence: float | None = None

    def contradicts_sure_answer(self, sure: float) -> bool:
        """The model called it a sport at least ``sure`` confidently, and this says otherwise."""
        return (
            self.model_label in SPORTS
            and (self.model_confidence or 0.0) >= sure
            and self.label != self.model_label
        )


@dataclass(frozen=True)
class Taught:
    """What one key teaches: its label, its training weight and who stands behind it."""

    key: str
    text: str
    label: str
    weight: float
    supporters: tuple[str, ...]


def newest_per_person(votes: Iterable[Vote]) -> dict[str, list[Vote]]:
    """Each key's votes, one per person (their newest), oldest first."""
    newest: dict[tuple[str, str | None], Vote] = {}
    for vote in votes:
        seen = newest.get((vote.key, vote.user))
        if seen is None or vote.id > seen.id:
            newest[(vote.key, vote.user)] = vote
    by_key: dict[str, list[Vote]] = defaultdict(list)
    for vote in sorted(newest.values(), key=lambda v: v.id):
        by_key[vote.key].append(vote)
    return dict(by_key)


def winning_label(votes: Sequence[Vote]) -> str | None:
    """The key's label by the rule above, or None (no votes, or a tie among people)."""
    admins = [vote for vote in votes if vote.is_admin]
    if admins:
        return _most_given(admins, tie_to_newest=True)
    return _most_given(votes, tie_to_newest=False)


def _most_given(votes: Sequence[Vote], *, tie_to_newest: bool) -> str | None:
    if not votes:
        return None
    counts: dict[str, int] = defaultdict(int)
    for vote in votes:
        counts[vote.label] += 1
    best = max(counts.values())
    leaders = [label for label, count in counts.items() if count == best]
    if len(leaders) == 1:
        return leaders[0]
    if tie_to_newest:
        return max((v for v in votes if v.label in leaders), key=lambda v: v.id).label
    return None


def taught(
    votes: Iterable[Vote], teaching: TeachingSettings, *, labels: Sequence[str] | None = None
) -> list[Taught]:
    """Every key's label and weight, from accepted votes (oldest key first)."""
    by_key = newest_per_person(votes)
    winners: dict[str, tuple[str, list[Vote]]] = {}
    for key, key_votes in by_key.items():
        label = winning_label(key_votes)
        if label is None or (labels is not None and label not in labels):
            continue
        supporters = [v for v in key_votes if v.label == label]
        if _needs_a_second_voice(supporters, teaching):
            continue
        winners[key] = (label, supporters)
    scale = _person_scale(
        [vote for _, supporters in winners.values() for vote in supporters], teaching
    )
    result = []
    for key, (label, supporters) in winners.items():
        credit = sum(
            teaching.admin_vote_weight if vote.is_admin else scale[vote.id] for vote in supporters
        )
        credit = min(credit, teaching.admin_vote_weight)
        result.append(
            Taught(
                key=key,
                text=supporters[-1].text,
                label=label,
                weight=teaching.correction_weight * credit,
                supporters=tuple(str(vote.user) for vote in supporters),
            )
        )
    return result


def _needs_a_second_voice(supporters: Sequence[Vote], teaching: TeachingSettings) -> bool:
    """One non-admin contradicting a sure answer of the model teaches nothing yet."""
    if len(supporters) > 1 or any(vote.is_admin for vote in supporters):
        return False
    return supporters[0].contradicts_sure_answer(teaching.sure_confidence)


def _person_scale(votes: Sequence[Vote], teaching: TeachingSettings) -> dict[int, float]:
    """Each non-admin vote's credit (at most 1) once its person's caps are applied."""
    by_day: dict[tuple[str | None, object], list[Vote]] = defaultdict(list)
    for vote in votes:
        if not vote.is_admin:
            by_day[(vote.user, vote.created_at.date())].append(vote)
    scale = {}
    for day_votes in by_day.values():
        factor = min(1.0, teaching.cap_day / len(day_votes))
        scale.update({vote.id: factor for vote in day_votes})
    users = {vote.id: vote.user for vote in votes}
    totals: dict[str | None, float] = defaultdict(float)
    for vote_id, credit in scale.items():
        totals[users[vote_id]] += credit
    for vote_id in scale:
        total = totals[users[vote_id]]
        if total > teaching.cap_total:
            scale[vote_id] *= teaching.cap_total / total
    return scale
