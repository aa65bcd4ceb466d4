"""The stage the prompted backend (``openai-prompt``) has instead of a fine-tuning job.

Build the example bank from the run's training file (every accepted example:
20 Newsgroups posts, seed lines, Slack corrections), estimate what classifying
costs from the exact prompts of held-out texts, and, because evaluating on the
whole validation split is one paid request per example, show that cost, check
it against SPORTBOT_COST_CAP_USD and ask (``ctx.confirm``, the CLI on a
terminal) before a single request is sent. The candidate then goes through the
same gate as every other model (``pipeline.judge_and_finish``).
"""

from __future__ import annotations

from pathlib import Path

from training import pipeline
from training import preparation as prep
from training.classifiers import prompted
from training.classifiers.scoring import file_sha256
from training.states import RunStatus
from training.storage.registry import ModelInfo, ModelRegistry
from training.storage.runs import RunInfo

# Exact prompts of this many held-out texts (spread over the split) make the estimate.
ESTIMATE_SAMPLE = 300


def prompted_candidate(ctx: pipeline.Context, run: RunInfo) -> pipeline.Candidate:
    """The bank and the prompted classifier of ``run``, once its cost is accepted."""
    ctx.runs.update(run.id, status=RunStatus.building)
    train = prep.read_prepared(Path(run.train_path))
    ctx.say(f"Building the example bank from {len(train)} labelled examples…")
    bank = prompted.build_bank(train["text"].tolist(), train["label"].tolist())
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
    valid = pipeline.held_out(ctx, run, active)
    texts = valid["text"].tolist()
    estimate = model.estimate(texts[:: max(1, len(texts) // ESTIMATE_SAMPLE)])
    ctx.say(f"Classifying costs {estimate.line()}.")
    confirm_evaluation(ctx, run, estimate, len(texts), active)

    def artifact() -> dict[str, str]:  # written only when the bank is new
        path = prompted.save_bank(bank, settings.models_dir)
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
    return pipeline.Candidate(model, fields, artifact, extra_metrics=extra)


def confirm_evaluation(
    ctx: pipeline.Context,
    run: RunInfo,
    estimate: prompted.CostEstimate,
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
    pipeline.check_cost(cost, ctx.settings.training.cost_cap_usd)
    question = f"Evaluate {run.base_model} on {count} held-out examples for {shown}?"
    if ctx.confirm is not None and not ctx.confirm(question):
        pipeline.decline(
            ctx, run, "declined before evaluating", "no request was sent and nothing spent"
        )
