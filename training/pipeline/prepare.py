"""Stage: collect the labelled examples and prepare them into the run's folder.

Default mode of the preparation tool, every recommendation accepted; the
corrections' weights are written beside the prepared files. Imports ``training``
only, never ``bot/``.
"""

from __future__ import annotations

from training import preparation as prep
from training.pipeline.collect import write_weights
from training.pipeline.context import Context
from training.states import Backend, RunStatus
from training.storage.runs import RunInfo


def prepare_stage(ctx: Context, run: RunInfo) -> RunInfo:
    """Collect and prepare (default mode, every recommendation accepted) into the run folder."""
    ctx.say("Collecting the labelled examples…")
    run = ctx.runs.update(run.id, status=RunStatus.preparing)
    collected = ctx.collector(ctx.db)
    # Only a fine-tune is prepared for its base model; the other backends share the
    # local model's files, so every backend is judged on the same held-out examples.
    model = run.base_model if run.backend == Backend.openai else "babbage-002"
    prepared = prep.prepare(collected.frame, model=model)
    prepared = prep.with_training_only(prepared, collected.training_only())
    folder = ctx.folder(run)
    train_path, valid_path = prep.write_prepared(prepared, folder / "examples.jsonl")
    write_weights(folder, collected.corrections)
    return ctx.runs.update(
        run.id,
        train_path=str(train_path),
        valid_path=str(valid_path or train_path),
        examples_upto=collected.examples_upto,
    )
