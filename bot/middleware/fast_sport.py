"""``/sport`` that a loaded local model answers in about a millisecond runs inline.

See ``bot.fastpath``: Bolt polls for ``ack()`` every 10 ms, so such a request is
better answered in the request thread than on the listener pool.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot import fastpath
from bot.model_source import ModelSource
from bot.sport_text import parse
from training.states import Backend


class InlineLocalSport(Middleware):
    def __init__(self, models: ModelSource) -> None:
        self.models = models

    def is_fast(self, body: dict) -> bool:
        """A /sport that a loaded local model answers in about a millisecond."""
        if body.get("command") != "/sport":
            return False
        if parse(str(body.get("text") or ""))[0] not in fastpath.FAST_SUBCOMMANDS:
            return False
        try:
            return self.models.current()[0] == Backend.local
        except Exception:  # no model yet or still loading: the pool path explains
            return False

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if self.is_fast(req.body):
            fastpath.run_next_listener_inline()
        return next()
