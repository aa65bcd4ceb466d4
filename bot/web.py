"""The WSGI application gunicorn serves: the routes in front of Bolt.

``POST /slack/events`` goes to Bolt, ``GET /healthz`` is the health check and
``POST /openai/webhooks`` takes OpenAI's fine-tuning webhooks (training.openai_api.webhooks).
Building the app a worker serves is ``bot.startup.web_worker``; this module only
routes requests, and reads no settings of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot import fastpath
from training.config import Settings
from training.storage.database import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's payloads are a few kB (a 40,000-character message, blocks, a view): 1 MB
# is far past anything it sends, and refusing before reading keeps memory bounded.
MAX_BODY_BYTES = 1_000_000
OPENAI_WEBHOOK_PATH = "/openai/webhooks"


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
            return _plain(start_response, status, body)
        fastpath.reset()
        if _too_large(environ):
            # Checked on the header alone: the body is never read, only discarded by the server.
            log.warning("Refused a %s-byte request body", environ.get("CONTENT_LENGTH"))
            return _plain(start_response, "413 Content Too Large", "request body too large\n")
        if environ.get("PATH_INFO") == OPENAI_WEBHOOK_PATH:
            return self.openai_webhook(environ, start_response)
        try:
            return self.bolt(environ, start_response)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
            # Bolt parses the body before checking the signature: a body that is not the
            # JSON object or form Slack sends (broken JSON, `null`, a list) raises while
            # parsing. A client error, not a 500.
            log.warning("Refused a request whose body does not parse: %s", type(error).__name__)
            return _plain(start_response, "400 Bad Request", "unparseable body\n")

    def openai_webhook(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Verify and record an OpenAI webhook; 5xx only when OpenAI should deliver it again."""
        from training.errors import ConfigError, DatabaseUnavailableError, WebhookSignatureError
        from training.openai_api import webhooks

        if environ.get("REQUEST_METHOD") != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST only\n")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        settings = self.app.sportbot.settings
        try:
            event_type = webhooks.receive(settings.openai, self.db, body, headers)
        except ConfigError as error:
            log.warning("%s", error)
            return _plain(start_response, "404 Not Found", "webhooks are not configured\n")
        except WebhookSignatureError as error:
            log.warning("%s", error)
            return _plain(start_response, "400 Bad Request", "invalid webhook\n")
        except DatabaseUnavailableError as error:
            log.warning("%s", error)
            return _plain(start_response, "503 Service Unavailable", "database unreachable\n")
        log.info("OpenAI webhook %s accepted", event_type)
        return _plain(start_response, "200 OK", "ok\n")

    def health(self) -> tuple[str, str]:
        """Ready: the database answers and the active model's first load is done. A
        platform's router sends traffic once this says 200, and until the model is
        loaded every /sport would be told to try again."""
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not ready"
            log.warning("Health check failed: %s", error)
            return "503 Service Unavailable", "database unreachable\n"
        problem = self.db.file_problem()
        if problem is not None:
            # Writes would be acknowledged into a file no restart will open again.
            log.error("Health check failed: %s; restart the process", problem)
            return "503 Service Unavailable", "database file gone\n"
        # Done when loaded, and when it failed or none is registered: /sport explains those.
        if not self.app.sportbot.models.wait_loaded(0):
            return "503 Service Unavailable", "model still loading\n"
        return "200 OK", "ok\n"


def _too_large(environ: dict[str, Any]) -> bool:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True  # a Content-Length that is not a number is not Slack


def _plain(start_response: Callable, status: str, body: str) -> Iterable[bytes]:
    data = body.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    start_response(status, headers)
    return [data]


def create_app(settings: Settings | None = None, **collaborators: Any) -> Router:
    """gunicorn's app factory: ``gunicorn 'bot.web:create_app()'`` (``bot.startup``
    starts the web process)."""
    from bot.startup import web_worker

    return web_worker(settings, **collaborators)
