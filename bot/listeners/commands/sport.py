"""/sport: classify a text, show help or status, or start a retraining."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.admins import AdminCheck
from bot.model_source import Answer, ModelSource
from bot.retraining import Retrainer
from bot.sport_text import parse
from training.config import Settings
from training.errors import RunInProgressError
from training.states import Backend

log = logging.getLogger(__name__)


def sport_command(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    *,
    settings: Settings,
    models: ModelSource,
    admins: AdminCheck,
    retrainer: Retrainer,
) -> None:
    subcommand, argument = parse(command.get("text", ""))
    if subcommand == "help":
        ack(blocks.HELP_TEXT)
    elif subcommand == "status":
        runs = models.runs(limit=1)
        text = blocks.status_text(models.active_info(), runs[0] if runs else None)
        problem = getattr(models, "problem", None)  # the active model gone at OpenAI
        cost = models.cost_line() if hasattr(models, "cost_line") else None
        extra = [line for line in (cost, problem) if line]
        ack("\n".join([text, *extra]))
    elif subcommand == "retrain":
        ack()  # users.info may take a moment: acknowledge before asking who is an admin
        start_retrain(
            command["user_id"],
            command["channel_id"],
            client,
            respond,
            settings=settings,
            admins=admins,
            retrainer=retrainer,
        )
    elif not argument:
        ack(blocks.HELP_TEXT)
    else:
        classify(ack, respond, argument, public=subcommand == "classify_public", models=models)


def classify(ack: Ack, respond: Respond, text: str, *, public: bool, models: ModelSource) -> None:
    response_type = "in_channel" if public else "ephemeral"
    backend, _ = models.current()
    if backend == Backend.local:
        # Sub-millisecond: the answer goes in the acknowledgement itself.
        answer = models.classify(text)
        ack(**answer_message(text, answer), response_type=response_type)
        return
    # A remote model may take seconds: acknowledge first, answer through response_url.
    ack("Classifying…")
    answer = models.classify(text)
    respond(**answer_message(text, answer), response_type=response_type, replace_original=False)


def answer_message(text: str, answer: Answer, **where: Any) -> dict[str, Any]:
    """``text`` and ``blocks`` of an answer (the fallback's note in both)."""
    line = blocks.label_line(answer.prediction)
    return {
        "text": f"{line} ({answer.note})" if answer.note else line,
        "blocks": blocks.prediction_blocks(text, answer.prediction, note=answer.note, **where),
    }


def start_retrain(
    user: str,
    channel: str,
    client: WebClient,
    respond: Respond,
    *,
    settings: Settings,
    admins: AdminCheck,
    retrainer: Retrainer,
) -> None:
    """Start a retraining for an admin (after the ack); refuse and log anyone else."""
    if not admins.is_admin(client, user):
        log.warning("Refused a retraining requested by non-admin user %s", user)
        respond("Only admins can retrain sportbot.", response_type="ephemeral")
        return
    target = settings.slack.report_channel or channel
    try:
        retrainer.start(client, user=user, channel=target)
    except RunInProgressError as error:
        respond(f"Not started: {error}", response_type="ephemeral")
        return
    respond(f"Retraining started: progress in <#{target}>.", response_type="ephemeral")
