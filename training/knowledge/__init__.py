"""What the local model knows that the 1993 newsgroup posts cannot tell it.

The posts know the sports' words, and the teams and players of 1993. People in a
channel today name players, arenas and leagues the posts never saw, and talk
about other sports with the same words ("game", "season", "playoffs"). These
lists, written by the sportbot authors and shipped with the code (MIT), give
the model that knowledge as training examples:

* ``hockey*.txt`` and ``baseball*.txt``: teams, places, leagues, terms, people;
* ``other-sports.txt``: basketball, American football, soccer and the rest,
  labelled ``other``;
* ``everyday.txt``: people, places and companies that are not sport, so that a
  name or a city alone is not taken for sport;
* ``*-chatter.txt``: whole messages in the way people talk during a game, one a
  line (``[message]``), of hockey, baseball and other sports.

Each entry becomes a few short messages built from frames that are the same for
every label, so the only thing that tells the labels apart is the entry itself.
A file is ``[kind]`` sections of ``|``-separated entries (``#`` starts a comment;
a ``[message]`` line is one entry); ``*-people.txt`` files are all people.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

PACKAGE = "training.knowledge"
# The label of each file's entries, by the file name's first word.
FILE_LABELS = {"hockey": "hockey", "baseball": "baseball", "other": "other", "everyday": "other"}

# Frames per kind: the same for every label, so frames carry no label of their own.
FRAMES = {
    "people": (
        "{}",
        "{}!",
        "{} again",
        "what about {}?",
        "I really like {}",
        "{} is so good",
        "{} is overrated",
        "thoughts on {}?",
        "did you see {} last night",
        "can't believe {} did that",
        "{} news today",
        "big fan of {}",
        "{} was on fire",
        "honestly {} deserves more credit",
        "anyone else watching {}?",
        "lol {}",
    ),
    "team": (
        "{}",
        "go {}!",
        "{} tonight",
        "{} fans, what do you think?",
        "the {} look good this year",
        "I hate the {}",
        "{} are a mess",
        "{} won again",
        "anyone watching the {}?",
        "lets go {}",
        "{} news",
        "{} just made a trade",
    ),
    "place": (
        "{}",
        "heading to {} tonight",
        "at {} right now",
        "{} was packed",
        "first time at {}",
        "the crowd at {} was loud",
        "parking near {} is awful",
    ),
    "org": (
        "{}",
        "{} news",
        "{} announced something today",
        "anyone else see the {} thing?",
        "{} is down again",
    ),
    "league": (
        "{}",
        "{} tonight",
        "{} news",
        "watching the {}",
        "{} this year is wild",
        "who wins the {}?",
        "my {} predictions",
    ),
    "message": ("{}",),  # a whole message, one a line
    "term": (
        "{}",
        "what a {}",
        "that {} though",
        "{}!!",
        "nice {}",
        "another {}",
        "{} last night",
    ),
}
FRAMES_PER_ENTRY = 3


@dataclass(frozen=True)
class Entry:
    """One name or term: its label, its kind (``people``, ``team``, ...) and its text."""

    label: str
    kind: str
    text: str


def entries() -> list[Entry]:
    """Every entry of the shipped lists, in file order."""
    found: list[Entry] = []
    for item in sorted(resources.files(PACKAGE).iterdir(), key=lambda e: e.name):
        if item.name.endswith(".txt"):
            found += parse(item.read_text(encoding="utf-8"), item.name)
    return found


def parse(content: str, name: str) -> list[Entry]:
    """The entries of one list file (see the module docstring for the format)."""
    stem = name.removesuffix(".txt")
    label = FILE_LABELS[stem.split("-")[0]]
    kind = "people" if stem.endswith("-people") else None
    found: list[Entry] = []
    for line in content.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            kind = line[1:-1]
            if kind not in FRAMES:
                raise ValueError(f"{name}: unknown section [{kind}].")
            continue
        if kind is None:
            raise ValueError(f"{name}: entries before the first [section].")
        texts = [line] if kind == "message" else line.split("|")
        for text in texts:
            if "[" in text or "]" in text:  # a [section] line run into the line before it
                raise ValueError(f"{name}: {text.strip()!r} holds a bracket: one [section] a line.")
        found += [Entry(label, kind, text.strip()) for text in texts if text.strip()]
    return found


def examples(listed: Sequence[Entry] | None = None, seed: int = 0) -> tuple[list[str], list[str]]:
    """Short messages made from ``listed`` (default: the shipped lists), and their
    labels: each distinct entry in ``FRAMES_PER_ENTRY`` frames of its kind, drawn
    from the same frames whatever the label."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries() if listed is None else listed:
        key = (entry.label, entry.text.lower())
        if key in seen:
            continue
        seen.add(key)
        frames = FRAMES[entry.kind]
        for frame in rng.sample(frames, min(FRAMES_PER_ENTRY, len(frames))):
            texts.append(frame.format(entry.text))
            labels.append(entry.label)
    return texts, labels
