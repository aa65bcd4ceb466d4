"""The Slack stand-in refuses what Slack refuses, through the real slack_sdk clients."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.standins.block_kit import blocks_errors, encoded_length
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.unit

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


def _button(value: str) -> dict:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "b",
                "text": {"type": "plain_text", "text": "B"},
                "value": value,
            }
        ],
    }


INVALID = {
    "section text over 3,000": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    ],
    "header over 150": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    "empty text": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
    "unknown field": [{**SECTION, "colour": "red"}],
    "unknown block type": [{"type": "banner", "text": "hi"}],
    "51 blocks": [SECTION] * 51,
    "11 context elements": [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}
    ],
    "button value over 2,000": [_button("v" * 2001)],
    # 334 characters, but 2,004 once json.dumps escapes them as Slack receives them.
    "button value over 2,000 encoded": [_button("é" * 334)],
    "duplicate block_id": [{**SECTION, "block_id": "a"}, {**SECTION, "block_id": "a"}],
    "not a list": {"type": "section"},
}


@pytest.fixture
def client(slack_api: SlackStandIn) -> WebClient:
    slack_api.expect_refused_blocks = True
    return WebClient(token="xoxb-test", base_url=slack_api.url, retry_handlers=[])


@pytest.mark.parametrize("method", ["chat_postMessage", "chat_postEphemeral", "chat_update"])
def test_messages_that_break_block_kit_are_refused_as_invalid_blocks(client, slack_api, method):
    for case, message_blocks in INVALID.items():
        kwargs = {"channel": "C1", "text": "fallback", "blocks": message_blocks}
        kwargs |= {"user": "U1"} if method == "chat_postEphemeral" else {}
        kwargs |= {"ts": "1.1"} if method == "chat_update" else {}

        with pytest.raises(SlackApiError) as raised:
            getattr(client, method)(**kwargs)

        assert raised.value.response["error"] == "invalid_blocks", case
    assert len(slack_api.refused_blocks) == len(INVALID)


def test_valid_blocks_are_accepted(client, slack_api):
    client.chat_postMessage(channel="C1", text="t", blocks=[SECTION, _button("é" * 300)] * 2)
    slack_api.expect_refused_blocks = False

    assert slack_api.refused_blocks == []


def test_a_home_view_may_hold_100_blocks_not_101(client, slack_api):
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION] * 100})

    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION] * 101})

    assert raised.value.response["error"] == "invalid_blocks"


def test_a_response_url_post_with_invalid_blocks_gets_http_400(slack_api):
    slack_api.expect_refused_blocks = True
    webhook = WebhookClient(slack_api.response_url())

    refused = webhook.send(text="t", blocks=INVALID["button value over 2,000 encoded"])
    accepted = webhook.send(text="t", blocks=[SECTION])

    assert (refused.status_code, refused.body) == (400, "invalid_blocks")
    assert accepted.status_code == 200
    assert [call.response["ok"] for call in slack_api.calls_to("response_url")] == [False, True]


def test_encoded_length_counts_what_json_escapes():
    assert encoded_length("abc") == 3
    assert encoded_length("é") == 6
    assert encoded_length("⚾") == 6
    assert encoded_length("🏒") == 12  # a surrogate pair
    assert encoded_length('"\n') == 4
    assert blocks_errors([_button("🏒" * 166)]) == []  # 1,992 characters encoded
    assert blocks_errors([_button("🏒" * 167)]) != []  # 2,004


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_bad_token_is_refused_on_every_method(slack_api, error):
    slack_api.token_error("xoxb-bad", error)
    client = WebClient(token="xoxb-bad", base_url=slack_api.url, retry_handlers=[])

    for call in (
        client.auth_test,
        lambda: client.reactions_add(channel="C1", timestamp="1.1", name="baseball"),
    ):
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response["error"] == error


def test_no_token_is_not_authed(slack_api):
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=slack_api.url, retry_handlers=[]).auth_test()

    assert raised.value.response["error"] == "not_authed"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"timestamp": "1.1", "name": ":baseball:"}, "invalid_name"),
        ({"timestamp": "1.1", "name": "Base Ball"}, "invalid_name"),
        ({"timestamp": "yesterday", "name": "baseball"}, "bad_timestamp"),
    ],
)
def test_reactions_check_names_and_timestamps(client, params, error):
    with pytest.raises(SlackApiError) as raised:
        client.reactions_add(channel="C1", **params)

    assert raised.value.response["error"] == error


def test_reactions_answer_their_documented_errors_when_asked(client, slack_api):
    slack_api.fail("reactions.add", "too_many_emoji", times=1)
    slack_api.rate_limit("reactions.remove", times=1, retry_after=7)

    with pytest.raises(SlackApiError) as added:
        client.reactions_add(channel="C1", timestamp="1.1", name="baseball")
    with pytest.raises(SlackApiError) as removed:
        client.reactions_remove(channel="C1", timestamp="1.1", name="baseball")

    assert added.value.response["error"] == "too_many_emoji"
    assert removed.value.response.status_code == 429
    headers = {key.lower(): value for key, value in removed.value.response.headers.items()}
    assert headers["retry-after"] in ("7", ["7"])
    with pytest.raises(ValueError, match="never answers"):
        slack_api.fail("reactions.remove", "already_reacted")


def test_the_harness_refuses_an_acknowledgement_slack_would_refuse():
    from tests.bot.conftest import Reply, check_acknowledgement

    body = (
        b'{"text": "t", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": ""}}]}'
    )
    check_acknowledgement(Reply(200, {"content-type": "application/json"}, b'{"text": "t"}'))

    with pytest.raises(AssertionError, match="Slack would refuse"):
        check_acknowledgement(Reply(200, {"content-type": "application/json"}, body))
