"""What training on the prepared files costs: their tokens as billed, and the price.

Imports only pandas and ``training.preparation``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from training.preparation.files import records
from training.preparation.findings import PreparedData
from training.preparation.tokens import base_model_of, counter_for, record_tokens


def file_tokens(df: pd.DataFrame, prepared: PreparedData) -> int:
    """Training tokens of ``df`` as written (the count OpenAI bills per epoch)."""
    counter = counter_for(prepared.model)
    return sum(record_tokens(counter, row) for row in records(df, prepared.fmt, prepared.separator))


def estimate_cost(
    tokens: int, epochs: int, model: str, prices: Mapping[str, float]
) -> float | None:
    """USD for ``epochs`` passes over ``tokens``; None when no price is configured."""
    price = prices.get(model, prices.get(base_model_of(model)))
    return None if price is None else tokens * epochs * price / 1_000_000
