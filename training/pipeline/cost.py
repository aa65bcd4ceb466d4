"""The cost guard: what a paid run will cost, shown and checked before anything is spent.

A fine-tune's trained tokens come from its prepared file (the token formula of
``training.preparation.tokens``); the prompted backend brings its own estimate and uses
``check_cost`` and ``decline`` the same way. Imports ``training`` only, never ``bot/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from training import preparation as prep
from training.errors import CostCapError, RunError
from training.pipeline.context import Context
from training.preparation.tokens import counter_for, record_tokens
from training.states import RunStatus
from training.storage.runs import RunInfo


def estimate_stage(ctx: Context, run: RunInfo) -> RunInfo:
    """Trained tokens (file tokens x epochs) and cost, shown and checked before any upload."""
    epochs = ctx.settings.training.epochs
    tokens = file_tokens(Path(run.train_path), run.base_model) * epochs
    cost = prep.estimate_cost(tokens, 1, run.base_model, ctx.settings.training.prices)
    shown = f"${cost:.2f}" if cost is not None else "unknown (no price configured)"
    ctx.say(f"Estimated {tokens} trained tokens ({epochs} epochs), cost {shown}.")
    run = ctx.runs.update(run.id, estimated_tokens=tokens, estimated_cost=cost)
    check_cost(cost, ctx.settings.training.cost_cap_usd)
    if ctx.confirm is not None and not ctx.confirm(f"Fine-tune {run.base_model} for {shown}?"):
        decline(ctx, run, "declined before upload", "nothing was uploaded and nothing spent")
    return run


def decline(ctx: Context, run: RunInfo, error: str, said: str) -> None:
    """End a run the person declined at the cost question (RunError saying what was not done)."""
    ctx.runs.finish(run.id, status=RunStatus.cancelled, error=error)
    ctx.runs.release(run.id)
    raise RunError(f"Not started: {said}.")


def file_tokens(path: Path, model: str) -> int:
    """Tokens of a prepared JSONL file as OpenAI bills them per epoch (as prepare counts)."""
    counter = counter_for(model)
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(record_tokens(counter, json.loads(line)) for line in lines if line.strip())


def check_cost(cost: float | None, cap: float | None) -> None:
    """CostCapError when the estimate is above the cap (checked before any upload)."""
    if cap is not None and cost is not None and cost > cap:
        raise CostCapError(
            f"Estimated cost ${cost:.2f} is above the cap ${cap:.2f} (SPORTBOT_COST_CAP_USD)."
        )
