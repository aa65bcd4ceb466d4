"""Listener packages; each has ``register(app, **collaborators)``."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.listeners import actions, commands, events, shortcuts, views


def register_listeners(app: App, **collaborators: Any) -> None:
    for package in (commands, events, actions, shortcuts, views):
        package.register(app, **collaborators)
