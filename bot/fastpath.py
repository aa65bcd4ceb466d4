"""Answering /sport without Bolt's 10 ms ack poll.

Bolt runs a listener on its executor and polls every 10 ms for ``ack()``
(``ThreadListenerRunner``): a listener that takes 0.3 ms still answers 10 ms
later, and at 8 concurrent requests that poll, not the CPU, sets the rate.
Classifying with a local model takes well under a millisecond, so for those
requests the middleware asks the executor to run the listener inline, in the
request thread: ack() is set before Bolt starts polling. Everything else (a
remote model, retraining, events, buttons) still runs on the pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

_local = threading.local()

# /sport subcommands that finish in about a millisecond with a local model.
FAST_SUBCOMMANDS = {"classify", "classify_public", "help"}


def run_next_listener_inline() -> None:
    """Ask the executor to run this thread's next listener in the thread itself."""
    _local.inline = True


def reset() -> None:
    """Forget a request's wish (start of every request: threads are reused)."""
    _local.inline = False


class InlineOnRequest(Executor):
    """An executor that runs a task inline when the submitting thread asked for it."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if not getattr(_local, "inline", False):
            return self.pool.submit(fn, *args, **kwargs)
        _local.inline = False  # one listener only
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # Bolt's wrapper already handles listener errors
            future.set_exception(error)
        return future

    def shutdown(self, wait: bool = True, **kwargs: Any) -> None:
        self.pool.shutdown(wait, **kwargs)
