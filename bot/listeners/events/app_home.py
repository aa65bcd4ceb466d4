"""The App Home tab: model, accuracy chart, weekly counts; for admins Retrain and
the recent corrections, each of which they can reject."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot import blocks
from bot.admins import AdminCheck
from bot.home_chart import HomeChart
from bot.model_source import ModelSource
from bot.teaching import Teaching
from training.storage.tags import TagStore


def app_home_opened(
    event: dict[str, Any],
    client: WebClient,
    *,
    models: ModelSource,
    tags: TagStore,
    admins: AdminCheck,
    teaching: Teaching,
    home_chart: HomeChart,
) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(
        client,
        event["user"],
        models=models,
        tags=tags,
        admins=admins,
        teaching=teaching,
        home_chart=home_chart,
    )


def publish_home(
    client: WebClient,
    user: str,
    *,
    models: ModelSource,
    tags: TagStore,
    admins: AdminCheck,
    teaching: Teaching,
    home_chart: HomeChart,
) -> None:
    runs = models.runs(limit=10)
    is_admin = admins.is_admin(client, user)
    view = blocks.home_view(
        info=models.active_info(),
        runs=runs,
        counts=tags.weekly_counts(),
        is_admin=is_admin,
        chart_file=home_chart.file_id(client, runs),
        corrections=teaching.recent(blocks.HOME_CORRECTIONS) if is_admin else (),
    )
    client.views_publish(user_id=user, view=view)
