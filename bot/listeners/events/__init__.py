from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.listeners.events.app_home import app_home_opened
from bot.listeners.events.reactions import reaction_added, reaction_removed
from bot.listeners.wiring import bind


def register(app: App, **collaborators: Any) -> None:
    # Message events never reach a listener: bot.middleware.messages stores and answers them.
    app.event("reaction_added")(bind(reaction_added, collaborators))
    app.event("reaction_removed")(bind(reaction_removed, collaborators))
    app.event("app_home_opened")(bind(app_home_opened, collaborators))
