"""The App Home tab: model, accuracy chart, weekly counts, and Retrain for admins."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot import blocks
from bot.admins import AdminCheck
from bot.model_source import ModelSource
from training.feedback import FeedbackStore


def app_home_opened(
    event: dict[str, Any],
    client: WebClient,
    *,
    models: ModelSource,
    feedback: FeedbackStore,
    admins: AdminCheck,
) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(client, event["user"], models=models, feedback=feedback, admins=admins)


def publish_home(
    client: WebClient,
    user: str,
    *,
    models: ModelSource,
    feedback: FeedbackStore,
    admins: AdminCheck,
) -> None:
    view = blocks.home_view(
        info=models.active_info(),
        runs=models.runs(limit=10),
        counts=feedback.weekly_counts(),
        is_admin=admins.is_admin(client, user),
    )
    client.views_publish(user_id=user, view=view)
