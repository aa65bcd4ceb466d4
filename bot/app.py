"""Wiring only: settings and collaborators in, a Bolt ``App`` with every listener out."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import middleware
from bot.admins import AdminCheck, TeacherCheck, UserDirectory
from bot.error_handler import handle_error
from bot.fastpath import InlineOnRequest
from bot.home_chart import HomeChart
from bot.listeners import register_listeners
from bot.model_source import ModelSource
from bot.notices import AdminNotice
from bot.retraining import Retrainer, RetrainFn
from bot.slack_client import make_client
from bot.tagger import Tagger
from bot.teaching import Teaching
from bot.web import EVENTS_PATH
from training.classifiers.base import TextClassifier
from training.config import Settings
from training.storage.database import Database, connect
from training.storage.deliveries import DeliveryStore
from training.storage.tags import TagStore
from training.storage.votes import VoteStore

# Enough for gunicorn's 10 request threads to each have a listener thread waiting on ack().
LISTENER_THREADS = 16


def build_app(
    settings: Settings,
    *,
    db: Database | None = None,
    classifier: TextClassifier | None = None,
    retrain: RetrainFn | None = None,
    client: WebClient | None = None,
) -> App:
    """The Slack app. Collaborators default to the real ones; tests inject fakes."""
    settings.slack.require("bot_token")
    db = db or connect(settings)
    client = client or make_client(settings.slack)
    collaborators = services(settings, db, classifier=classifier, retrain=retrain)
    app = App(
        name="sportbot",
        logger=bolt_logger(),
        client=client,
        signing_secret=settings.slack.signing_secret or "",
        # Our signature check instead of Bolt's, in its place (before authorization):
        # Bolt's logs the body of every refused request (bot/middleware/signature.py).
        request_verification_enabled=False,
        before_authorize=middleware.SignatureCheck(
            settings.slack.signing_secret or "", EVENTS_PATH
        ),
        # auth.test runs on the first request instead (cached), so building the app
        # needs no network and a process starts even while Slack is unreachable.
        token_verification_enabled=False,
        # Unhandled requests reach handle_error, which answers every event 200.
        raise_error_for_unhandled_request=True,
        # Sub-millisecond /sport answers run inline (bot/fastpath.py); the rest on the pool.
        listener_executor=InlineOnRequest(
            ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bolt")
        ),
    )
    for each in middleware.chain(
        collaborators.deliveries, collaborators.models, collaborators.tagger
    ):
        app.use(each)
    app.error(handle_error)
    register_listeners(app, **collaborators.as_kwargs())
    app.sportbot = collaborators  # reachable from tests and the health check
    return app


def bolt_logger() -> logging.Logger:
    """Bolt's logger with an explicit level: Bolt formats debug messages on every
    request whenever its logger's own level is unset (NOTSET counts as DEBUG)."""
    logger = logging.getLogger("sportbot.bolt")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger


@dataclass(frozen=True)
class Services:
    """The collaborators listeners receive as keyword arguments, one typed field each."""

    settings: Settings
    db: Database
    tags: TagStore
    deliveries: DeliveryStore
    models: ModelSource
    admins: AdminCheck
    tagger: Tagger
    retrainer: Retrainer
    votes: VoteStore
    teaching: Teaching
    home_chart: HomeChart

    def as_kwargs(self) -> dict[str, Any]:
        """By name, for listeners' keyword-only parameters (``bot.listeners.wiring``)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def services(
    settings: Settings,
    db: Database,
    *,
    classifier: TextClassifier | None = None,
    retrain: RetrainFn | None = None,
) -> Services:
    """The real collaborators (a test passes a fake classifier or trainer)."""
    tags = TagStore(db)
    models = ModelSource(settings, db, classifier, notify=AdminNotice(settings))
    directory = UserDirectory()
    admins = AdminCheck(settings.slack.admins, directory=directory)
    tagger = Tagger(settings.slack, tags, models)
    votes = VoteStore(db)
    teaching = Teaching(
        teaching=settings.teaching,
        tags=tags,
        votes=votes,
        tagger=tagger,
        admins=admins,
        teachers=TeacherCheck(settings.slack, settings.teaching, directory),
        models=models,
    )
    return Services(
        settings=settings,
        db=db,
        tags=tags,
        models=models,
        admins=admins,
        tagger=tagger,
        retrainer=Retrainer(settings, db, retrain),
        deliveries=DeliveryStore(db),
        votes=votes,
        teaching=teaching,
        home_chart=HomeChart(),
    )
