"""The lists of names and terms the local model learns short messages from."""

from __future__ import annotations

import collections

import pytest

from training import knowledge
from training.classifiers.base import LABELS

pytestmark = pytest.mark.unit


def test_every_shipped_list_parses_into_all_labels_and_kinds() -> None:
    entries = knowledge.entries()
    kinds = collections.Counter((entry.label, entry.kind) for entry in entries)
    for label in ("baseball", "hockey"):
        for kind in ("team", "people", "place", "league", "term", "message"):
            assert kinds[label, kind] >= 20, (label, kind)
    assert {entry.label for entry in entries} == set(LABELS)
    assert all(entry.text == entry.text.strip() and entry.text for entry in entries)


def test_a_file_is_sections_of_bar_separated_entries() -> None:
    content = "# a comment\n[team]\nBruins|B's  # nickname\n\n[message]\nwhat a save | wow\n"
    entries = knowledge.parse(content, "hockey.txt")
    assert [(e.label, e.kind, e.text) for e in entries] == [
        ("hockey", "team", "Bruins"),
        ("hockey", "team", "B's"),
        ("hockey", "message", "what a save | wow"),  # a message is one line, bars and all
    ]
    people = knowledge.parse("Tiger Woods|Serena Williams", "other-people.txt")
    assert [(e.label, e.kind) for e in people] == [("other", "people")] * 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Bruins", "before the first"),
        ("[arenas]\nBell Centre", "unknown section"),
        ("[team]\nBruins|Habs[place]\nBell Centre", "one \\[section\\] a line"),
    ],
)
def test_a_malformed_file_says_what_is_wrong(content: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        knowledge.parse(content, "hockey.txt")


def test_examples_put_every_label_in_the_same_frames() -> None:
    """A frame's words must not tell the labels apart: only the entry may."""
    listed = [
        knowledge.Entry(label, "people", f"Name{label}{n}") for label in LABELS for n in range(60)
    ]
    texts, labels = knowledge.examples(listed)
    assert (texts, labels) == knowledge.examples(listed)  # the same every run
    frames = collections.defaultdict(set)
    for text, label in zip(texts, labels, strict=True):
        frames[label].add("".join(c for c in text if not c.isdigit()).replace(f"Name{label}", "{}"))
    assert (
        frames["hockey"] == frames["baseball"] == frames["other"] == set(knowledge.FRAMES["people"])
    )
    assert collections.Counter(labels) == {
        label: 60 * knowledge.FRAMES_PER_ENTRY for label in LABELS
    }


def test_the_shipped_lists_make_thousands_of_examples_of_each_label() -> None:
    _, labels = knowledge.examples()
    assert min(collections.Counter(labels).values()) > 2000
