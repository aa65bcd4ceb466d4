"""The names sportbot's records and answers take, one enumeration each.

Each is a ``StrEnum`` whose values are the strings the database rows, JSON files and
Slack payloads have always held, so a member compares equal to its string and
serialises as it: no migration, and rows written before these existed read the same.

* ``Backend``: which family trains and answers (``local``, ``openai`` fine-tunes,
  ``openai-prompt``);
* ``ModelStatus``: a registered model's place (``candidate`` → ``active`` → ``retired``);
* ``RunStatus``: a training run's stage, from ``pending`` to one of ``FINISHED_RUNS``;
* ``TagStatus``: where a channel message's reaction stands;
* ``VoteState``: where a person's label for a message stands;
* ``Label``: what a text is about; ``SPORTS`` are the labels that get a reaction.
"""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):
    local = "local"
    openai = "openai"
    openai_prompt = "openai-prompt"


# The backends that call OpenAI (and need OPENAI_API_KEY).
OPENAI_BACKENDS = frozenset({Backend.openai, Backend.openai_prompt})


class ModelStatus(StrEnum):
    candidate = "candidate"  # registered, not answering
    active = "active"  # answering (one at a time)
    retired = "retired"  # answered once, replaced by a promotion


class RunStatus(StrEnum):
    pending = "pending"  # recorded, holding the run lock
    preparing = "preparing"  # collecting and writing the training files
    building = "building"  # building a prompted model's example bank
    uploading = "uploading"  # sending the files to OpenAI
    training = "training"  # fitting, or waiting on a fine-tuning job
    paused = "paused"  # OpenAI paused the job: the lock is released, resumable
    evaluating = "evaluating"  # candidate and active model on the held-out examples
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINISHED_RUNS = (RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled)


class TagStatus(StrEnum):
    queued = "queued"  # stored by the web process, not classified yet
    pending = "pending"  # classified, reaction not added yet
    skipped = "skipped"  # classified, but other or below the threshold: no reaction
    tagged = "tagged"  # sportbot reacted with the label's emoji
    corrected = "corrected"  # a person fixed the label
    failed = "failed"  # Slack refused the reaction (archived channel, deleted message...)


class VoteState(StrEnum):
    accepted = "accepted"  # a person's newest label for a message or text: it counts
    superseded = "superseded"  # replaced by the same person's newer label
    withdrawn = "withdrawn"  # they removed their reaction
    rejected = "rejected"  # an admin rejected it


class Label(StrEnum):
    baseball = "baseball"
    hockey = "hockey"
    other = "other"  # everything else, other sports included


LABELS = (Label.baseball, Label.hockey, Label.other)
SPORTS = (Label.baseball, Label.hockey)
