"""The day's spend on the prompted OpenAI model, shared by every process.

Every message the prompted model classifies is a paid request. With
SPORTBOT_COST_CAP_USD set, the cap is a daily budget for classifying: each
request's cost (its ``usage`` times the model's price) is added to the day's
row of ``daily_spend`` in one UPDATE, so several web processes and the tagger
add up to one figure; once the figure reaches the cap, ``check`` raises
``DailyCapError`` and the local model answers until midnight UTC. A day is a
UTC date. The prompted model (``training.classifiers.prompted``) calls this; it
imports no model family and no ``bot``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select, update

from training.errors import DailyCapError
from training.storage.database import Database
from training.storage.schema import DailySpend, utcnow

# Built once: the database's one-statement writes are compiled once per statement.
_GROW = (
    update(DailySpend)
    .where(DailySpend.day == bindparam("today"))
    .values(usd=DailySpend.usd + bindparam("cost"), requests=DailySpend.requests + 1)
)
_CLAIM = (
    update(DailySpend)
    .where(DailySpend.day == bindparam("today"), DailySpend.warned_at.is_(None))
    .values(warned_at=bindparam("now"))
)


class SpendLedger:
    """Reads and adds to the day's spend; ``cap`` None means no daily limit."""

    def __init__(
        self, db: Database, cap: float | None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.cap = cap
        self._clock = clock

    def today(self) -> str:
        return self._clock().strftime("%Y-%m-%d")

    def spent_today(self) -> float:
        with self.db.session() as session:
            usd = session.scalar(select(DailySpend.usd).where(DailySpend.day == self.today()))
        return float(usd or 0.0)

    def check(self) -> None:
        """DailyCapError when today's spend has reached the cap."""
        if self.cap is None:
            return
        spent = self.spent_today()
        if spent >= self.cap:
            raise DailyCapError(
                f"Today's OpenAI spend on classifying (${spent:.2f}) reached "
                f"SPORTBOT_COST_CAP_USD (${self.cap:.2f}): the local model answers until "
                "midnight UTC; raise the cap (or set it to none) to go on."
            )

    def add(self, usd: float) -> None:
        """Add one request's cost to today's row (created on the day's first request)."""
        params = {"today": self.today(), "cost": float(usd)}
        if not self.db.write(_GROW, params):
            self._open_day(params["today"])
            self.db.write(_GROW, params)

    def claim_warning(self) -> bool:
        """True for exactly one caller per day: the one who tells the admins."""
        today = self.today()
        self._open_day(today)  # a cap of 0 is reached before anything was spent
        return bool(self.db.write(_CLAIM, {"today": today, "now": self._clock()}))

    def _open_day(self, today: str) -> None:
        self.db.write(
            self.db.insert_ignoring_duplicates(DailySpend.__table__),
            {"day": today, "usd": 0.0, "requests": 0, "warned_at": None},
        )
