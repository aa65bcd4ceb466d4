"""``sportbot train`` and ``sportbot classify``: a training run, and labels for texts.

Both are thin over ``training.pipeline.run`` and the model registry. ``classify`` with
no model yet trains the local model first, and says so on stderr. Imports only
typer, rich and ``training``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from training.cli import common
from training.cli.common import database, out, run, source, with_status
from training.config import Settings
from training.preparation.readers import read_utf8
from training.states import OPENAI_BACKENDS, Backend


def train(
    backend: Backend = typer.Option(
        Backend.local,
        help="local: the embedded model; openai: a fine-tuning job; openai-prompt: a chat "
        "model asked with the nearest labelled examples (no fine-tuning).",
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="openai: base model (default: SPORTBOT_BASE_MODEL, babbage-002); "
        "openai-prompt: chat model (default: SPORTBOT_PROMPT_MODEL, gpt-4.1-mini).",
    ),
    poll_interval: float | None = typer.Option(
        None, min=0.0, help="Seconds between job polls (default: SPORTBOT_POLL_INTERVAL, 30)."
    ),
    data_path: Path | None = typer.Option(
        None, "--data", help="The 20 Newsgroups archive (default: SPORTBOT_20NEWS)."
    ),
    train_file: Path | None = typer.Option(
        None, "--train", help="A prepared train file (default: collect and prepare afresh)."
    ),
    valid_file: Path | None = typer.Option(None, "--valid", help="Its validation file."),
    force: bool = typer.Option(
        False, help="Promote even when worse than the active model or lacking a label it has."
    ),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="--no-wait: launch the job and return (`runs resume`)."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="OpenAI: start without asking about the cost estimate."
    ),
) -> None:
    """Prepare the data, train a model, evaluate it and promote it when it is not worse.

    With --backend openai on a terminal, the cost estimate is shown and asked [y/N]
    before anything is uploaded; with openai-prompt, before evaluating on the validation
    split (one request per example). --yes skips the question; SPORTBOT_COST_CAP_USD caps
    unattended runs.
    """

    def action(settings: Settings) -> None:
        from training.errors import ConfigError
        from training.pipeline.context import RunRequest

        if valid_file is not None and train_file is None:
            raise ConfigError("--valid needs --train.")
        if backend in OPENAI_BACKENDS and not settings.openai.enabled:
            raise ConfigError(f"OPENAI_API_KEY is not set; the {backend.value} backend needs it.")
        request = RunRequest(
            backend=backend.value,
            base_model=model,
            poll_interval=poll_interval,
            force=force,
            wait=wait,
        )
        if train_file is None:
            _ensure_data(settings, data_path)
        ask = backend in OPENAI_BACKENDS and not yes and common.stdin_is_tty()
        outcome = with_status(
            "Training…",
            lambda progress, status: _train(
                settings,
                request,
                progress,
                data_path,
                train_file,
                valid_file,
                confirm=_confirmer(status) if ask else None,
            ),
            with_status=True,
        )
        print_outcome(out(), outcome)

    run(action)


def _ensure_data(settings: Settings, data_path: Path | None) -> None:
    from training.data import ensure_available

    ensure_available(source(settings, data_path))


def _train(settings, request, progress, data_path, train_file, valid_file, confirm=None):
    from training.pipeline.run import train as train_run

    return train_run(
        settings,
        database(settings),
        request,
        progress=progress,
        data=data_path,
        train_file=train_file,
        valid_file=valid_file,
        confirm=confirm,
    )


def _confirmer(status) -> Callable[[str], bool]:
    """A [y/N] question asked with the spinner stopped (it would draw over the prompt)."""

    def confirm(question: str) -> bool:
        status.stop()
        try:
            return typer.confirm(question, default=False)
        finally:
            status.start()

    return confirm


def print_outcome(console: Console, outcome) -> None:
    if outcome.model is not None:
        _print_model_summary(console, outcome.model)
    elif outcome.run.job_id:
        console.print(
            f"Run {outcome.run.id}: job {outcome.run.job_id} is {outcome.run.status}; "
            "`sportbot runs resume` waits for it."
        )
    if outcome.folder is not None:
        console.print(f"Report and charts: {escape(str(outcome.folder))}")


def _train_local(settings: Settings, **options):
    """Train the local model with a spinner showing each stage."""
    from training.pipeline.run import train_local

    db = database(settings)
    return with_status(
        "Training the local model…",
        lambda progress: train_local(settings, db, progress=progress, **options),
    )


def _print_model_summary(console: Console, info) -> None:
    metrics = info.metrics
    console.print(f"Model {info.id} ({info.backend}) is {info.status}.")
    if "accuracy" in metrics:
        console.print(
            f"  validation accuracy {metrics['accuracy']:.4f} on {metrics.get('n')} examples"
        )
        for label, scores in metrics.get("per_class", {}).items():
            console.print(
                f"  {label:<9} precision {scores['precision']:.3f}  recall {scores['recall']:.3f}"
                f"  f1 {scores['f1']:.3f}  ({scores['support']})"
            )
    active = metrics.get("active")
    if active:
        console.print(f"  active model {active.get('model')}: accuracy {active['accuracy']:.4f}")
    if metrics.get("cost"):
        from training.classifiers.prompt_cost import CostEstimate

        line = CostEstimate.from_dict(metrics["cost"]).line()
        console.print(f"  classifying costs {line} (prices of {metrics['cost']['prices_as_of']})")


def classify(
    texts: list[str] | None = typer.Argument(None, help="Texts to classify."),
    input_file: Path | None = typer.Option(
        None, "--input", help="JSONL: one object per line with a 'text' field."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input line."),
    model: str | None = typer.Option(
        None, help="A registry model id, or an OpenAI fine-tuned model id (ft:...)."
    ),
) -> None:
    """Label texts as baseball, hockey or other, with a confidence."""

    def action(settings: Settings) -> None:
        import json

        from training.errors import ClassifyError

        inputs = list(texts or []) + (_read_texts(input_file) if input_file else [])
        if not inputs:
            raise ClassifyError("Nothing to classify: give texts as arguments or --input FILE.")
        classifier = _classifier(settings, model)
        console = out()
        for prediction in classifier.classify_batch(inputs):
            if as_json:
                console.print(json.dumps(prediction.to_dict()), markup=False)
            else:
                console.print(
                    f"{prediction.label:<9} {prediction.confidence:6.1%}  ({prediction.model})"
                )

    run(action)


def _read_texts(path: Path) -> list[str]:
    """The ``text`` field of each line of a JSONL file; InputFileError names a bad line."""
    import json

    from training.errors import InputFileError

    texts = []
    for number, line in enumerate(read_utf8(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise InputFileError(f"{path}: line {number} is not valid JSON.") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputFileError(f"{path}: line {number} has no 'text' field.")
        texts.append(row["text"])
    return texts


def _classifier(settings: Settings, model: str | None):
    """The model asked for, or the active one; trains the local model first when there is none."""
    from training.classifiers.loading import load_classifier
    from training.storage.registry import ModelRegistry
    from training.storage.spend import SpendLedger

    db = database(settings)
    registry = ModelRegistry(db)
    # A prompted model's requests count towards the day's spend, as the Slack app's do.
    ledger = SpendLedger(db, settings.training.cost_cap_usd)
    if model is not None:
        info = registry.get(model)
        if info is not None:
            return load_classifier(info, settings, ledger=ledger)
        return _openai_model(settings, model)
    info = registry.active()
    if info is None:
        _ensure_data(settings, None)
        Console(stderr=True).print("No model yet: training the local model first (about a minute).")
        info = _train_local(settings)
    return load_classifier(info, settings, ledger=ledger)


def _openai_model(settings: Settings, model: str):
    from training.errors import ConfigError, NoModelError

    if not model.startswith("ft:"):
        raise NoModelError(f"No model {model!r} in the registry (see `sportbot models`).")
    if not settings.openai.enabled:
        raise ConfigError(f"OPENAI_API_KEY is not set; it is needed to use {model}.")
    from training.classifiers.openai_model import OpenAIModel

    return OpenAIModel(model, settings=settings.openai)
