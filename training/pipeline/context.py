"""What every stage of a training run is given and gives back: the run's context and records.

``Context`` carries the settings, the database, the edges a test injects (the
collector, Slack, OpenAI, the clock) and the run's one Slack message;
``RunRequest`` is what was asked for, ``Candidate`` a trained model waiting to
be judged, ``Outcome`` where a run stands when an entry point returns. Imports
``training`` only, never ``bot/``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from training.classifiers.base import TextClassifier
from training.config import Settings
from training.data import Source
from training.pipeline.collect import Collected, collect
from training.slack.message import SlackReport, report_client
from training.states import Backend
from training.storage.database import Database
from training.storage.registry import ModelInfo
from training.storage.runs import RunInfo, RunStore

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
Collector = Callable[[Database], Collected]


@dataclass(frozen=True)
class RunRequest:
    """What was asked for: which backend, which base model, by whom, how to wait."""

    backend: str = Backend.local
    base_model: str | None = None
    poll_interval: float | None = None
    force: bool = False
    wait: bool = True
    trigger: str = "cli"
    requested_by: str | None = None
    channel: str | None = None


@dataclass
class Outcome:
    """Where a run stands when ``start``/``resume`` return."""

    run: RunInfo
    model: ModelInfo | None = None
    report: dict[str, Any] | None = None
    folder: Path | None = None


@dataclass
class Candidate:
    """A trained model ready to be judged: its classifier and its registry fields."""

    classifier: TextClassifier
    fields: dict[str, Any]
    artifact: Callable[[], dict[str, Any]] = lambda: {}
    # Recorded with the candidate's metrics (a prompted model's cost estimate).
    extra_metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What every stage needs; built once per run (tests inject the edges)."""

    settings: Settings
    db: Database
    progress: Progress
    collector: Collector
    slack: WebClient | None = None
    openai_client: Any = None
    sleep: Callable[[float], None] = time.sleep
    force: bool = False
    wait: bool = True
    poll_interval: float = 30.0
    # Asked (with the cost estimate) before anything is uploaded; None: do not ask.
    confirm: Callable[[str], bool] | None = None
    lines: list[str] = field(default_factory=list)
    # A message the caller already posted (a retraining started from Slack): the next
    # run started here reports in it instead of posting a second one.
    adopt: SlackReport | None = None
    # The run's own Slack message, once attached (``training.pipeline.run``).
    report: SlackReport | None = None

    @property
    def runs(self) -> RunStore:
        return RunStore(self.db)

    def say(self, *lines: str) -> None:
        """Progress lines: to the terminal/caller, and ONE update of the run's Slack message
        (a burst of job events is one chat.update, not one per event: Slack rate-limits)."""
        if not lines:
            return
        for line in lines:
            self.progress(line)
        self.lines.extend(lines)
        if self.report is not None:
            self.report.add(*lines)

    def client(self) -> Any:
        if self.openai_client is None:
            from training.classifiers.openai_model import build_client

            self.openai_client = build_client(self.settings.openai)
        return self.openai_client

    def folder(self, run: RunInfo) -> Path:
        """The run's folder under SPORTBOT_HOME's runs (created when missing)."""
        folder = self.settings.runs_dir / str(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def default_collector(settings: Settings, data: Path | None = None) -> Collector:
    """Collect from the 20 Newsgroups archive (``data``, SPORTBOT_20NEWS or sklearn) + Slack."""
    source = Source(data or settings.twenty_news, settings.cache_dir)
    return lambda db: collect(source, db, teaching=settings.teaching)


def context(
    settings: Settings,
    db: Database,
    *,
    progress: Progress | None = None,
    collector: Collector | None = None,
    slack: WebClient | None = None,
    openai_client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    force: bool = False,
    wait: bool = True,
    poll_interval: float | None = None,
    confirm: Callable[[str], bool] | None = None,
    report: SlackReport | None = None,
) -> Context:
    """A Context with the real edges unless given (Slack client from the settings);
    ``report``: a Slack message already posted, which the run takes over."""
    return Context(
        settings=settings,
        db=db,
        progress=progress or (lambda message: log.info(message)),
        collector=collector or default_collector(settings),
        slack=slack if slack is not None else report_client(settings),
        openai_client=openai_client,
        sleep=sleep,
        force=force,
        wait=wait,
        poll_interval=(settings.training.poll_interval if poll_interval is None else poll_interval),
        confirm=confirm,
        adopt=report,
    )
