"""Event listeners called directly: reactions teach, App Home is published."""

from __future__ import annotations

import pytest

from bot.listeners.events.app_home import app_home_opened
from bot.listeners.events.reactions import reaction_added, reaction_removed
from bot.teaching import Teaching
from tests.bot.listeners.stubs import Recorder

pytestmark = pytest.mark.unit


def _reaction(item_type="message", user="U1"):
    item = {"type": item_type, "channel": "C1", "ts": "1.2"}
    return {"item": item, "user": user, "reaction": "baseball", "user_team": "T1"}


def test_a_reaction_on_a_message_teaches(client, context):
    teaching = Recorder(spec=Teaching)

    reaction_added(_reaction(), client, context, teaching=teaching)

    [((_, teacher, ts, reaction), _)] = teaching.called("reacted")
    assert (teacher.user, teacher.channel, teacher.team) == ("U1", "C1", "T1")
    assert (ts, reaction) == ("1.2", "baseball")


def test_a_reaction_on_a_file_is_ignored(client, context):
    teaching = Recorder(spec=Teaching)

    reaction_added(_reaction(item_type="file"), client, context, teaching=teaching)

    assert teaching.calls == []


def test_removing_a_reaction_withdraws_it(client, context):
    teaching = Recorder(spec=Teaching)

    reaction_removed(_reaction(), client, context, teaching=teaching)

    assert teaching.called("unreacted") == [((client, "U1", "C1", "1.2", "baseball"), {})]


def test_the_bots_own_reaction_removed_is_ignored(client, context):
    teaching = Recorder(spec=Teaching)

    reaction_removed(_reaction(user="UBOT"), client, context, teaching=teaching)

    assert teaching.calls == []


def test_opening_app_home_publishes_the_view(client, home_collaborators):
    app_home_opened({"user": "U1", "tab": "home"}, client, **home_collaborators)

    [(_, published)] = client.called("views_publish")
    assert published["user_id"] == "U1"
    shown = str(published["view"])
    assert "3 messages tagged, 1 corrected, 2 examples given" in shown


def test_the_messages_tab_publishes_nothing(client, home_collaborators):
    app_home_opened({"user": "U1", "tab": "messages"}, client, **home_collaborators)

    assert client.called("views_publish") == []
