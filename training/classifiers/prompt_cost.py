"""What asking a prompted model costs: the estimate recorded with a registry entry
and the price of one request. Imports only ``training``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training.config import PromptSettings
from training.preparation.tokens import base_model_of


@dataclass(frozen=True)
class CostEstimate:
    """What classifying costs with this bank and model, from exact prompts of ``texts``."""

    tokens_per_message: float
    output_tokens: int
    usd_per_message: float | None  # None: no price known for the model

    @property
    def usd_per_1000(self) -> float | None:
        return None if self.usd_per_message is None else self.usd_per_message * 1000

    def line(self) -> str:
        tokens = f"about {self.tokens_per_message:.0f} input tokens a message"
        if self.usd_per_message is None:
            return f"{tokens}; no price known (set SPORTBOT_PROMPT_PRICE_PER_MTOK)"
        return (
            f"{tokens}, ${self.usd_per_message:.5f} a message, ${self.usd_per_1000:.2f} per 1,000"
        )

    @classmethod
    def from_dict(cls, recorded: dict[str, Any]) -> CostEstimate:
        """The estimate a registry entry recorded (``metrics["cost"]``)."""
        return cls(
            float(recorded.get("tokens_per_message") or 0.0),
            int(recorded.get("output_tokens") or 0),
            recorded.get("usd_per_message"),
        )

    def to_dict(self) -> dict[str, Any]:
        from training.config import PROMPT_PRICES_AS_OF

        return {
            "tokens_per_message": round(self.tokens_per_message, 1),
            "output_tokens": self.output_tokens,
            "usd_per_message": self.usd_per_message,
            "usd_per_1000": self.usd_per_1000,
            "prices_as_of": PROMPT_PRICES_AS_OF,
        }


def request_cost(
    prompt: PromptSettings, model: str, input_tokens: float, output_tokens: float
) -> float | None:
    """USD of one request from its token counts and the model's price."""
    price = prompt.price(base_model_of(model))
    if price is None:
        return None
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
