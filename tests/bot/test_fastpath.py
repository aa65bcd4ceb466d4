"""Sub-millisecond /sport answers run inline, everything else on Bolt's pool."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import fastpath
from bot.fastpath import InlineOnRequest
from bot.middleware import InlineLocalSport

pytestmark = pytest.mark.unit


def _thread() -> str:
    return threading.current_thread().name


def test_inline_only_when_asked_and_only_once():
    executor = InlineOnRequest(ThreadPoolExecutor(1, thread_name_prefix="pool"))
    fastpath.reset()

    assert executor.submit(_thread).result().startswith("pool")
    fastpath.run_next_listener_inline()
    assert executor.submit(_thread).result() == _thread()
    assert executor.submit(_thread).result().startswith("pool")  # the wish was used up


class _Models:
    def __init__(self, backend: str) -> None:
        self.backend = backend

    def current(self):
        return self.backend, None


@pytest.mark.parametrize(
    ("text", "backend", "fast"),
    [
        ("the goalie stopped the puck", "local", True),
        ("help", "local", True),
        ("say a home run", "local", True),
        ("the goalie stopped the puck", "openai", False),  # seconds: ack first on the pool
        ("retrain", "local", False),  # asks Slack who is an admin
        ("status", "local", False),  # reads the database
    ],
)
def test_which_requests_take_the_fast_path(text, backend, fast):
    middleware = InlineLocalSport(models=_Models(backend))

    assert middleware.is_fast({"command": "/sport", "text": text}) is fast
    assert middleware.is_fast({"type": "block_actions"}) is False
