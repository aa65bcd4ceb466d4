"""Stage: the one the prompted backend (``openai-prompt``) has instead of a fine-tuning job.

Build the example bank from the run's training file (every accepted example:
20 Newsgroups posts, seed lines, Slack corrections), estimate what classifying
costs from the exact prompts of held-out texts, and, because evaluating on the
whole validation split is one paid request per example, show that cost, check
it against SPORTBOT_COST_CAP_USD and ask (``ctx.confirm``, the CLI on a
terminal) before a single request is sent. The candidate then goes through the
same gate as every other model (``training.pipeline.judge``). Imports ``training``
only, never ``bot/``.
"""

from __future__ import annotations

from pathlib import Path

from training import preparation as prep
from training.classifiers import example_bank, prompted
from training.classifiers.prompt_cost import CostEstimate
from training.classifiers.scoring.files import file_sha256
from training.pipeline.context import Candidate, Context
from training.pipeline.cost import check_cost, decline
from training.pipeline.judge import held_out
from training.states import RunStatus
from training.storage.registry import ModelInfo, ModelRegistry
from training.storage.runs import RunInfo

# Exact prompts of this many held-out texts (spread over the split) make the estimate.
ESTIMATE_SAMPLE = 300


def prompted_candidate(ctx: Context, run: RunInfo) -> Candidate:
    """The bank and the prompted classifier of ``run``, once its cost is accepted."""
    ctx.runs.update(run.id, status=RunStatus.building)
    train = prep.read_prepared(Path(run.train_path))
    ctx.say(f"Building the example bank from {len(train)} labelled examples…")
    bank = example_bank.build_bank(train["text"].tolist(), train["label"].tolist())
    settings = ctx.settings
    model = prompted.PromptedModel(
        run.base_model, bank, settings=settings.openai, prompt=settings.prompt, client=ctx.client()
    )
    ctx.say(
        f"Example bank {bank.version[:12]}: {len(bank.texts)} examples "
        f"({', '.join(bank.label_set)}); each request shows the {settings.prompt.examples} "
        f"nearest, asked of {run.base_model}."
    )
    active = ModelRegistry(ctx.db).active()
    valid = held_out(ctx, run, active)
    texts = valid["text"].tolist()
    estimate = model.estimate(texts[:: max(1, len(texts) // ESTIMATE_SAMPLE)])
    ctx.say(f"Classifying costs {estimate.line()}.")
    confirm_evaluation(ctx, run, estimate, len(texts), active)

    def artifact() -> dict[str, str]:  # written only when the bank is new
        path = example_bank.save_bank(bank, settings.models_dir)
        return {"artifact_path": str(path), "artifact_sha256": file_sha256(path)}

    fields = {
        "id": model.model_id,
        "backend": prompted.BACKEND,
        "labels": bank.label_set,
        "base_model": run.base_model,
        "prompt_format": "prompt",
        "system_message": bank.instruction,
        "data_sha256": bank.version,
    }
    extra = {
        "cost": estimate.to_dict(),
        "bank": {
            "version": bank.version,
            "examples": len(bank.texts),
            "k": settings.prompt.examples,
            "selection": bank.rule,
        },
    }
    return Candidate(model, fields, artifact, extra_metrics=extra)


def confirm_evaluation(
    ctx: Context,
    run: RunInfo,
    estimate: CostEstimate,
    count: int,
    active: ModelInfo | None,
) -> None:
    """Say what evaluating costs, refuse it above the cap, ask on a terminal."""
    # A prompted active model is asked about every held-out example too.
    asked = count * (2 if active is not None and active.backend == prompted.BACKEND else 1)
    cost = None if estimate.usd_per_message is None else estimate.usd_per_message * asked
    shown = f"${cost:.2f}" if cost is not None else "unknown (no price known)"
    ctx.say(f"Evaluating sends {asked} requests to {run.base_model}: about {shown}.")
    ctx.runs.update(
        run.id, estimated_tokens=int(estimate.tokens_per_message * asked), estimated_cost=cost
    )
    check_cost(cost, ctx.settings.training.cost_cap_usd)
    question = f"Evaluate {run.base_model} on {count} held-out examples for {shown}?"
    if ctx.confirm is not None and not ctx.confirm(question):
        decline(ctx, run, "declined before evaluating", "no request was sent and nothing spent")
