"""Stage: fit the local model (the ``local`` backend) in-process from the prepared files.

``fit_local`` is the run's stage; ``fit_local_offline`` fits the same model from
the same stages without a database or a run record (the quality benchmark and
tests). Imports ``training`` only, never ``bot/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training import preparation as prep
from training.classifiers.local import artifacts
from training.classifiers.local.estimator import LocalModel
from training.classifiers.scoring import files
from training.data import Source
from training.pipeline.collect import collect, sample_weights
from training.pipeline.context import Candidate, Context
from training.states import Backend, RunStatus
from training.storage.registry import ModelInfo, ModelRegistry
from training.storage.runs import RunInfo


def fit_local(ctx: Context, run: RunInfo) -> Candidate:
    """Train the embedded model in-process from the same prepared files."""
    ctx.runs.update(run.id, status=RunStatus.training)
    train = prep.read_prepared(Path(run.train_path))
    ctx.say(f"Training the local model on {len(train)} examples…")
    texts, labels = train["text"].tolist(), train["label"].tolist()
    weights = sample_weights(Path(run.train_path).parent, texts, labels)
    model = LocalModel().fit(texts, labels, sample_weight=weights)

    def artifact() -> dict[str, Any]:  # written only when the model is new
        path = artifacts.save(model, ctx.settings.models_dir)
        return {
            "artifact_path": str(path),
            "artifact_sha256": files.file_sha256(path),
            "scorer_sha256": files.file_sha256(files.scorer_path(path)),
        }

    fields = {
        "id": model.model_id,
        "backend": Backend.local,
        "labels": [str(label) for label in model.classes_],
        "base_model": Backend.local,
        "prompt_format": "completion",
        "data_sha256": model.metadata_["data_sha256"],
    }
    return Candidate(model, fields, artifact)


def add_scorer(registry: ModelRegistry, info: ModelInfo, model: Any) -> ModelInfo:
    """Give an entry saved before scoring arrays existed its ``.scorer.npz``, from this
    fit of the same data (same id), so the Slack app's processes load it without
    scikit-learn (``load_classifier(lean=True)``)."""
    path = files.scorer_path(info.artifact_path)
    return registry.set_scorer(info.id, files.save(model.scorer(), path))


def fit_local_offline(source: Source, folder: Path) -> LocalModel:
    """The local model ``sportbot train`` would fit, without a database or a run record.

    Same stages (collect, prepare in default mode, seed lines added to the training
    set, fit on the written train file): what the quality benchmark and tests measure.
    """
    collected = collect(source)
    prepared = prep.with_training_only(
        prep.prepare(collected.frame, model="babbage-002"), collected.seed
    )
    train_path, _ = prep.write_prepared(prepared, folder / "examples.jsonl")
    examples = prep.read_prepared(train_path)
    return LocalModel().fit(examples["text"].tolist(), examples["label"].tolist())
