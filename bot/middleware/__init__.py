"""The request path before any listener: one small middleware a concern, in order.

Bolt runs ``SignatureCheck`` where its own check would be (``before_authorize``),
then the global middleware ``chain()`` returns, in this order:

1. ``RateLimitNotices``: Slack's ``app_rate_limited`` envelope is logged and answered;
2. ``MessageEvents``: a channel message is stored for the tagger and answered here,
   without Bolt's listener machinery (the stored row is its claim against redelivery);
3. ``DuplicateDeliveries``: any other event whose id was already handled is answered
   200 with ``x-slack-no-retry``; the claim is in the database, shared by processes;
4. ``ReplayGuard``: a signed command or interaction that changes state is accepted
   once per signature (Bolt alone accepts a captured request for five minutes);
5. ``InlineLocalSport``: a ``/sport`` a loaded local model answers in about a
   millisecond runs in the request thread (``bot.fastpath``).

Each is a ``Middleware`` subclass rather than a function: Bolt builds no keyword
arguments for those, which matters on the ``/sport`` hot path.
"""

from __future__ import annotations

from slack_bolt.middleware import Middleware

from bot.middleware.duplicates import DuplicateDeliveries
from bot.middleware.fast_sport import InlineLocalSport
from bot.middleware.messages import MessageEvents
from bot.middleware.rate_limits import RateLimitNotices
from bot.middleware.replays import ReplayGuard, changes_state
from bot.middleware.signature import SignatureCheck
from bot.model_source import ModelSource
from bot.tagger import Tagger
from training.storage.deliveries import DeliveryStore

__all__ = [
    "DuplicateDeliveries",
    "InlineLocalSport",
    "MessageEvents",
    "RateLimitNotices",
    "ReplayGuard",
    "SignatureCheck",
    "chain",
    "changes_state",
]


def chain(
    deliveries: DeliveryStore, models: ModelSource | None, tagger: Tagger | None
) -> list[Middleware]:
    """The global middleware, in the order it must run (see the module docstring)."""
    found: list[Middleware] = [RateLimitNotices()]
    if tagger is not None:
        found.append(MessageEvents(tagger))
    found += [DuplicateDeliveries(deliveries), ReplayGuard(deliveries)]
    if models is not None:
        found.append(InlineLocalSport(models))
    return found
