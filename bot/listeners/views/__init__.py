"""View submissions: sportbot opens no modals yet; the package keeps the template's layout."""

from __future__ import annotations

from typing import Any

from slack_bolt import App


def register(app: App, **collaborators: Any) -> None:
    """Nothing to register: the App Home view is published by the events package."""
