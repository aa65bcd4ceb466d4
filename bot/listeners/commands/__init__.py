from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.listeners.commands.sport import sport_command
from bot.listeners.wiring import bind


def register(app: App, **collaborators: Any) -> None:
    app.command("/sport")(bind(sport_command, collaborators))
