"""The WSGI application gunicorn serves: Bolt at /slack/events, a health check at /healthz."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from training.config import Settings
from training.db import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class Router:
    """GET /healthz answered here; everything else goes to Bolt's WSGI handler."""

    def __init__(self, app: App, db: Database) -> None:
        self.app = app
        self.db = db
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            status, body = self.health()
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [body.encode()]
        return self.bolt(environ, start_response)

    def health(self) -> tuple[str, str]:
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not ready"
            log.warning("Health check failed: %s", error)
            return "503 Service Unavailable", "database unreachable\n"
        return "200 OK", "ok\n"


def create_app(settings: Settings | None = None, **collaborators: Any) -> Router:
    """gunicorn's app factory: ``gunicorn 'bot.server:create_app()'``."""
    from bot.app import build_app
    from training.db import connect

    settings = settings or Settings.from_env()
    settings.slack.require("bot_token", "signing_secret")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    db = collaborators.pop("db", None) or connect(settings)
    app = build_app(settings, db=db, **collaborators)
    # Runs in each gunicorn worker (no --preload), so the thread is not lost to a fork.
    app.sportbot["models"].start_refreshing()
    return Router(app, db)
