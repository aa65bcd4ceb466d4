from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.listeners.shortcuts.classify_message import CALLBACK_ID, classify_message
from bot.listeners.wiring import bind


def register(app: App, **collaborators: Any) -> None:
    app.shortcut(CALLBACK_ID)(bind(classify_message, collaborators))
