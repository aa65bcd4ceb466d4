"""The global middleware: one concern each, registered in the order the request path needs."""

from __future__ import annotations

import pytest
from slack_bolt import BoltRequest, BoltResponse

from bot import middleware

pytestmark = pytest.mark.unit


class _Feedback:
    def __init__(self) -> None:
        self.claimed: set[str] = set()

    def claim_event(self, key: str) -> bool:
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True


class _Tagger:
    def __init__(self) -> None:
        self.accepted: list[dict] = []

    def accept(self, event: dict) -> str:
        self.accepted.append(event)
        return "queued"

    def wake(self) -> None:
        pass


def test_the_chain_runs_envelopes_messages_duplicates_replays_then_the_fast_path() -> None:
    chain = middleware.chain(_Feedback(), models=object(), tagger=_Tagger())
    assert [type(each) for each in chain] == [
        middleware.RateLimitNotices,
        middleware.MessageEvents,
        middleware.DuplicateDeliveries,
        middleware.ReplayGuard,
        middleware.InlineLocalSport,
    ]


def _run(each, body: dict, signature: str = "v0=abc") -> BoltResponse | None:
    request = BoltRequest(body="", headers={"x-slack-signature": [signature]})
    request.body = body
    return each.process(req=request, resp=BoltResponse(status=200), next=lambda: None)


def test_a_message_is_stored_and_answered_without_reaching_a_listener() -> None:
    tagger = _Tagger()
    answer = _run(
        middleware.MessageEvents(tagger),
        {"type": "event_callback", "event": {"type": "message", "ts": "1"}},
    )
    assert answer.status == 200
    assert tagger.accepted == [{"type": "message", "ts": "1"}]
    assert (
        _run(
            middleware.MessageEvents(tagger),
            {"type": "event_callback", "event": {"type": "reaction_added"}},
        )
        is None
    )


def test_a_redelivered_event_is_answered_once_handled() -> None:
    duplicates = middleware.DuplicateDeliveries(_Feedback())
    body = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "reaction_added"}}
    assert _run(duplicates, body) is None  # first delivery: on to the listeners
    again = _run(duplicates, body)
    assert again.status == 200
    assert again.headers["x-slack-no-retry"] == ["1"]


def test_a_state_changing_request_is_accepted_once_per_signature() -> None:
    guard = middleware.ReplayGuard(_Feedback())
    retrain = {"command": "/sport", "text": "retrain"}
    assert _run(guard, retrain) is None
    assert _run(guard, retrain).status == 401
    classify = {"command": "/sport", "text": "a home run"}
    assert _run(guard, classify) is None
    assert _run(guard, classify) is None


def test_rate_limit_notices_are_answered_and_stop() -> None:
    answer = _run(middleware.RateLimitNotices(), {"type": "app_rate_limited", "team_id": "T1"})
    assert answer.status == 200
    assert _run(middleware.RateLimitNotices(), {"type": "event_callback"}) is None
