"""``sportbot data``: the posts per class and the first post of the 20 Newsgroups archive.

A thin command over ``training.data``; imports only typer, rich and ``training``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from training.cli.common import out, run, source
from training.config import Settings


class Subset(StrEnum):
    train = "train"
    test = "test"


class Groups(StrEnum):
    sports = "sports"
    other = "other"


def data(
    data_path: Path | None = typer.Option(
        None, "--data", help="20news-bydate.tar.gz or its folder (default: SPORTBOT_20NEWS)."
    ),
    subset: Subset = typer.Option(Subset.train, help="Which half of the data set."),
    groups: Groups = typer.Option(Groups.sports, help="The two sports, or the 18 other groups."),
) -> None:
    """Show the posts per class and the first post, as the walkthrough's notebook did."""

    def action(settings: Settings) -> None:
        from training.data import OTHER_GROUPS, SPORT_GROUPS, load_newsgroups

        wanted = SPORT_GROUPS if groups is Groups.sports else OTHER_GROUPS
        posts = load_newsgroups(subset.value, wanted, source=source(settings, data_path))
        console = out()
        counts = posts["group"].value_counts().sort_index()
        console.print(f"{len(posts)} {subset.value} posts")
        for group, count in counts.items():
            console.print(f"  {group:<26} {count}")
        console.print(f"\nFirst post ({posts['group'].iloc[0]}):\n")
        console.print(escape(posts["text"].iloc[0]))

    run(action)
