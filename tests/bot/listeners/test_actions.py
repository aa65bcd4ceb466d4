"""Button listeners called directly: corrections, Retrain, Reject."""

from __future__ import annotations

import pytest

from bot import blocks
from bot.listeners.actions.corrections import REFUSED_TEXT, UNKNOWN_TEXT, correction_clicked
from bot.listeners.actions.retrain import retrain_clicked
from bot.listeners.actions.review import reject_clicked
from bot.retraining import Retrainer
from bot.teaching import Teaching
from tests.bot.listeners.stubs import Recorder, admins, user_body
from training.errors import RunInProgressError
from training.storage.votes import NEW

pytestmark = pytest.mark.unit


def _correction(label, value=None):
    value = blocks.correction_value("Puck drop", "C1", "1.2") if value is None else value
    return {"action_id": f"{blocks.CORRECT_ACTION}_{label}", "value": value}


def test_a_correction_is_recorded_and_thanked(ack, respond, client, context):
    teaching = Recorder(spec=Teaching, clicked=NEW)

    correction_clicked(
        ack, _correction("hockey"), user_body(), respond, client, context, teaching=teaching
    )

    assert ack.calls == [((), {})]
    [((_, teacher, label, text, ts), _)] = teaching.called("clicked")
    assert (teacher.user, teacher.channel, label, text, ts) == (
        "U1",
        "C1",
        "hockey",
        "Puck drop",
        "1.2",
    )
    assert respond.calls == [((), {"text": blocks.thanks_text("hockey"), "replace_original": True})]


def test_a_refused_correction_says_why(ack, respond, client, context):
    teaching = Recorder(spec=Teaching, clicked="refused")

    correction_clicked(
        ack, _correction("hockey"), user_body(), respond, client, context, teaching=teaching
    )

    assert respond.text() == REFUSED_TEXT


def test_a_button_that_is_not_sportbots_records_nothing(ack, respond, client, context):
    teaching = Recorder(spec=Teaching)

    correction_clicked(
        ack, _correction("curling"), user_body(), respond, client, context, teaching=teaching
    )

    assert respond.text() == UNKNOWN_TEXT
    assert teaching.calls == []


def test_retrain_button_starts_a_run_for_an_admin(ack, client, settings):
    retrainer = Recorder(spec=Retrainer)

    retrain_clicked(
        ack, user_body(), client, settings=settings, admins=admins(True), retrainer=retrainer
    )

    assert ack.calls == [((), {})]
    assert retrainer.called("start") == [((client,), {"user": "U1", "channel": "CREPORT"})]


def test_retrain_button_of_a_non_admin_starts_nothing(ack, client, settings):
    retrainer = Recorder(spec=Retrainer)

    retrain_clicked(
        ack, user_body(), client, settings=settings, admins=admins(False), retrainer=retrainer
    )

    assert retrainer.calls == []


def test_retrain_button_while_a_run_goes_on_tells_the_admin(ack, client, settings):
    def busy(*_, **__):
        raise RunInProgressError("run 7 is in progress")

    retrain_clicked(
        ack,
        user_body(),
        client,
        settings=settings,
        admins=admins(True),
        retrainer=Recorder(spec=Retrainer, start=busy),
    )

    assert client.called("chat_postMessage") == [
        ((), {"channel": "U1", "text": "Not started: run 7 is in progress"})
    ]


def test_reject_one_correction_then_redraw_home(ack, client, home_collaborators):
    action = {"action_id": blocks.REJECT_ACTION, "value": "42"}

    reject_clicked(ack, action, user_body("UADMIN"), client, **home_collaborators)

    teaching = home_collaborators["teaching"]
    assert teaching.called("reject") == [((client,), {"by": "UADMIN", "ids": [42]})]
    assert client.called("views_publish")[0][1]["user_id"] == "UADMIN"


def test_reject_all_of_a_persons_corrections(ack, client, home_collaborators):
    action = {"action_id": blocks.REJECT_USER_ACTION, "value": "U9"}

    reject_clicked(ack, action, user_body("UADMIN"), client, **home_collaborators)

    teaching = home_collaborators["teaching"]
    assert teaching.called("reject") == [((client,), {"by": "UADMIN", "user": "U9"})]


def test_reject_by_a_non_admin_changes_nothing(ack, client, home_collaborators):
    home_collaborators["admins"] = admins(False)
    action = {"action_id": blocks.REJECT_ACTION, "value": "42"}

    reject_clicked(ack, action, user_body("U1"), client, **home_collaborators)

    assert home_collaborators["teaching"].called("reject") == []
    assert client.called("views_publish") == []
