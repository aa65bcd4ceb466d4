from __future__ import annotations

import re
from typing import Any

from slack_bolt import App

from bot import blocks
from bot.listeners.actions.corrections import correction_clicked
from bot.listeners.actions.retrain import retrain_clicked
from bot.listeners.actions.review import reject_clicked
from bot.listeners.wiring import bind


def register(app: App, **collaborators: Any) -> None:
    app.action(re.compile(f"^{blocks.CORRECT_ACTION}_"))(bind(correction_clicked, collaborators))
    app.action(blocks.RETRAIN_ACTION)(bind(retrain_clicked, collaborators))
    app.action(blocks.REJECT_ACTION)(bind(reject_clicked, collaborators))
    app.action(blocks.REJECT_USER_ACTION)(bind(reject_clicked, collaborators))
