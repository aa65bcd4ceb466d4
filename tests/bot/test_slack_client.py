"""The bot's Slack client: connections kept open, errors and retries as WebClient's."""

from __future__ import annotations

import threading
import time
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_client import KeepAliveWebClient, make_client
from training.config import SlackSettings

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(slack_api) -> WebClient:
    return make_client(SlackSettings(bot_token="xoxb-test", api_url=slack_api.url))


def _add(client: WebClient, n: int) -> None:
    client.reactions_add(channel="C0001", timestamp=f"1700000000.{n:06d}", name="hockey")


def test_calls_from_one_thread_share_one_connection(client, slack_api):
    for n in range(5):
        _add(client, n)
    peers = {call.peer for call in slack_api.calls_to("reactions.add")}
    assert len(peers) == 1
    assert {call.params["timestamp"] for call in slack_api.calls_to("reactions.add")} == {
        f"1700000000.{n:06d}" for n in range(5)
    }


def test_a_plain_web_client_opens_a_connection_per_call(slack_api):
    # What the keep-alive client saves: the reason it exists.
    plain = WebClient(token="xoxb-test", base_url=slack_api.url)
    for n in range(3):
        _add(plain, n)
    assert len({call.peer for call in slack_api.calls_to("reactions.add")}) == 3


def test_each_thread_has_a_connection_of_its_own(client, slack_api):
    def add_twice(n: int) -> None:
        _add(client, 2 * n)
        _add(client, 2 * n + 1)

    threads = [threading.Thread(target=add_twice, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    add_twice(3)  # this thread's own
    calls = slack_api.calls_to("reactions.add")
    assert len(calls) == 8
    # Four threads, four connections: each thread's two calls shared one.
    assert len({call.peer for call in calls}) == 4


def test_a_connection_the_server_closed_is_replaced_before_the_next_call(slack_api):
    # No retry handlers: a request sent on the closed connection would raise.
    client = KeepAliveWebClient(token="xoxb-test", base_url=slack_api.url, retry_handlers=[])
    slack_api.close_connections = True
    _add(client, 1)
    deadline = time.monotonic() + 10
    while slack_api.connections_closed < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    _add(client, 2)
    calls = slack_api.calls_to("reactions.add")
    assert len(calls) == 2
    assert calls[0].peer != calls[1].peer


def test_a_rate_limited_call_is_waited_out_on_the_kept_connection(client, slack_api):
    slack_api.rate_limit("reactions.add", times=1, retry_after=0)
    _add(client, 1)
    calls = slack_api.calls_to("reactions.add")
    assert [call.response["ok"] for call in calls] == [False, True]
    assert calls[0].peer == calls[1].peer  # the 429's body was read: the connection lives on


def test_slack_errors_are_raised_as_web_client_raises_them(client, slack_api):
    slack_api.fail("reactions.add", "already_reacted", times=1)
    with pytest.raises(SlackApiError) as raised:
        _add(client, 1)
    assert raised.value.response["error"] == "already_reacted"
    assert raised.value.response.status_code == 200
    _add(client, 2)  # and the connection still works
    assert len({call.peer for call in slack_api.calls_to("reactions.add")}) == 1


def test_http_errors_reach_the_caller_with_status_and_body(slack_api):
    client = KeepAliveWebClient(token="xoxb-test", base_url=slack_api.url, retry_handlers=[])
    slack_api.rate_limit("reactions.add", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        _add(client, 1)
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"


def test_an_unreachable_server_is_a_connection_error_slack_sdk_retries(slack_api):
    url = slack_api.url
    slack_api.close()
    attempts = []
    client = make_client(SlackSettings(bot_token="xoxb-test", api_url=url), timeout=2)
    client.retry_handlers[0].prepare_for_next_attempt = _retry_at_once(attempts)
    with pytest.raises(URLError, match="Connection refused"):
        _add(client, 1)
    assert len(attempts) == 2  # ConnectionErrorRetryHandler(max_retry_count=2) saw it


def _retry_at_once(attempts: list):
    """A retry handler's next-attempt step without its back-off sleep, counting calls."""

    def wrapper(**kwargs):
        attempts.append(kwargs.get("error"))
        kwargs["state"].next_attempt_requested = True
        kwargs["state"].increment_current_attempt()

    return wrapper
