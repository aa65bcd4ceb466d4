"""The ``sportbot`` command line: a thin layer over pure functions.

Every command runs through ``run``: it loads ``Settings.from_env()`` and turns
any ``SportbotError`` into one red line on stderr and exit status 1, so bad
input never shows a traceback. Commands print; the work happens elsewhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from training import prepare as prep
from training.config import Settings
from training.errors import SportbotError
from training.examples_cli import examples_app
from training.states import OPENAI_BACKENDS, Backend, ModelStatus

app = typer.Typer(help="sportbot: tell baseball from hockey.", no_args_is_help=True)
T = TypeVar("T")


def out() -> Console:
    """Standard output; built per call so test runners' captured streams are used."""
    return Console(highlight=False, soft_wrap=True)


def run(action: Callable[[Settings], T]) -> T:
    """Run ``action`` with the environment's settings; a SportbotError exits 1 with one line."""
    try:
        return action(Settings.from_env())
    except SportbotError as error:
        message = " ".join(str(error).split())
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[red]Error: {escape(message)}[/red]"
        )
        raise typer.Exit(1) from None


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


# ---------------------------------------------------------------- data


class Subset(StrEnum):
    train = "train"
    test = "test"


class Groups(StrEnum):
    sports = "sports"
    other = "other"


@app.command()
def data(
    data_path: Path | None = typer.Option(
        None, "--data", help="20news-bydate.tar.gz or its folder (default: SPORTBOT_20NEWS)."
    ),
    subset: Subset = typer.Option(Subset.train, help="Which half of the data set."),
    groups: Groups = typer.Option(Groups.sports, help="The two sports, or the 18 other groups."),
) -> None:
    """Show the posts per class and the first post, as the walkthrough's notebook did."""

    def action(settings: Settings) -> None:
        from training.data import OTHER_GROUPS, SPORT_GROUPS, load_newsgroups

        wanted = SPORT_GROUPS if groups is Groups.sports else OTHER_GROUPS
        posts = load_newsgroups(subset.value, wanted, source=_source(settings, data_path))
        console = out()
        counts = posts["group"].value_counts().sort_index()
        console.print(f"{len(posts)} {subset.value} posts")
        for group, count in counts.items():
            console.print(f"  {group:<26} {count}")
        console.print(f"\nFirst post ({posts['group'].iloc[0]}):\n")
        console.print(escape(posts["text"].iloc[0]))

    run(action)


def _source(settings: Settings, path: Path | None):
    from training.data import Source

    return Source(path or settings.twenty_news, settings.cache_dir)


# ---------------------------------------------------------------- prepare


class Format(StrEnum):
    completion = "completion"
    chat = "chat"


class Compat(StrEnum):
    default = "default"
    legacy = "legacy"


@app.command()
def prepare(
    file: Path | None = typer.Option(
        None, "-f", "--file", help="JSONL, JSON, CSV, TSV or XLSX with prompt and completion."
    ),
    data_path: Path | None = typer.Option(
        None, "--data", help="Without -f: the 20 Newsgroups archive (default: SPORTBOT_20NEWS)."
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Accept every recommendation."),
    model: str | None = typer.Option(None, help="Base model (default: SPORTBOT_BASE_MODEL)."),
    fmt: Format | None = typer.Option(None, "--format", help="Default: from the model."),
    compat: Compat = typer.Option(Compat.default, help="legacy: repeat the old tool exactly."),
    max_tokens: int | None = typer.Option(
        None, min=1, help="Longest example in tokens (default: the model's limit)."
    ),
    epochs: int | None = typer.Option(None, min=1, help="For the cost estimate."),
    out_dir: Path | None = typer.Option(
        None, help="Where the prepared files go (default: beside -f, or here)."
    ),
) -> None:
    """Check a fine-tuning data set, fix what it recommends, write train/valid JSONL."""

    def action(settings: Settings) -> None:
        console = out()
        if file is not None:
            df, base = prep.read_input(file), (out_dir / file.name if out_dir else file)
        else:
            from training.data import sport_prompts

            source = _source(settings, data_path)
            console.print(
                f"Using the built-in data set: the sports training posts from {source.describe()}"
            )
            df = sport_prompts("train", source=source)
            base = (out_dir or Path.cwd()) / "sport2"
        accept = _asker(console, quiet)
        chosen = model or settings.training.base_model
        prepared = prep.prepare(
            df,
            model=chosen,
            fmt=fmt.value if fmt else None,
            compat=compat.value,
            max_tokens=max_tokens,
            accept=accept,
        )
        train_path, valid_path = prep.write_prepared(prepared, base)
        _report(console, settings, prepared, train_path, valid_path, epochs)

    run(action)


def _asker(console: Console, quiet: bool) -> Callable[[prep.Finding], bool]:
    """How recommendations are answered: print each finding, then ask or accept."""
    ask = not quiet and _stdin_is_tty()
    if not quiet and not ask:
        console.print("stdin is not a terminal: accepting every recommendation (as with -q).")

    def accept(finding: prep.Finding) -> bool:
        if not ask:
            return True
        _print_finding(console, finding)
        return typer.confirm(f"  {finding.recommendation}?", default=True)

    return accept


def _print_finding(console: Console, finding: prep.Finding, applied: bool | None = None) -> None:
    console.print(f"- [bold]{finding.name}[/bold]: {escape(finding.found)}")
    if finding.recommendation:
        done = {None: "", True: " [green]done[/green]", False: " [yellow]skipped[/yellow]"}
        console.print(f"  {finding.kind}: {escape(finding.recommendation)}{done[applied]}")


def _report(console, settings, prepared, train_path, valid_path, epochs) -> None:
    console.print("\nChecks:")
    for finding, applied in prepared.findings:
        _print_finding(console, finding, applied)
    if not prepared.token_exact:
        console.print(f"[yellow]Note: {escape(prepared.token_note)}.[/yellow]")
    epochs = epochs or settings.training.epochs
    console.print(f"\nWrote {prepared.fmt} files for {prepared.model}:")
    tokens = prep.file_tokens(prepared.train, prepared)
    console.print(f"  {escape(str(train_path))}: {len(prepared.train)} examples, {tokens} tokens")
    if valid_path is not None:
        valid_tokens = prep.file_tokens(prepared.valid, prepared)
        console.print(
            f"  {escape(str(valid_path))}: {len(prepared.valid)} examples, {valid_tokens} tokens"
        )
    cost = prep.estimate_cost(tokens, epochs, prepared.model, settings.training.prices)
    if cost is None:
        console.print(
            f"No price configured for {prepared.model}: set SPORTBOT_TRAINING_PRICES to estimate."
        )
    else:
        console.print(f"Estimated training cost: ${cost:.2f} ({tokens} tokens x {epochs} epochs)")
    ours, openai_call = prep.next_steps(prepared, train_path, valid_path, epochs)
    console.print(
        f"\nNext step:\n  {escape(ours)}\nor with the OpenAI API:\n  {escape(openai_call)}"
    )
    if prepared.fmt == "completion" and prepared.separator:
        console.print(
            f"Prompts sent to the fine-tuned model must end with `{prep.show(prepared.separator)}`."
        )


# ---------------------------------------------------------------- models


_OPENAI_BACKENDS = OPENAI_BACKENDS


def _database(settings: Settings):
    from training.storage.database import connect

    return connect(settings)


@app.command()
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
        if backend in _OPENAI_BACKENDS and not settings.openai.enabled:
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
        ask = backend in _OPENAI_BACKENDS and not yes and _stdin_is_tty()
        outcome = _with_status(
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
        _print_outcome(out(), outcome)

    run(action)


def _ensure_data(settings: Settings, data_path: Path | None) -> None:
    from training.data import ensure_available

    ensure_available(_source(settings, data_path))


def _train(settings, request, progress, data_path, train_file, valid_file, confirm=None):
    from training.pipeline.run import train as train_run

    return train_run(
        settings,
        _database(settings),
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


def _with_status(title: str, work: Callable[..., T], *, with_status: bool = False) -> T:
    """Run ``work(progress)`` (``work(progress, status)`` when ``with_status``) under a rich
    status line; each progress line is also logged."""
    console = Console(stderr=True, highlight=False, log_path=False)
    with console.status(title) as status:

        def progress(message: str) -> None:
            status.update(escape(message))
            console.log(escape(message))

        return work(progress, status) if with_status else work(progress)


def _print_outcome(console: Console, outcome) -> None:
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

    db = _database(settings)
    return _with_status(
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


@app.command()
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
    for number, line in enumerate(prep._read_utf8(path).splitlines(), start=1):
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

    db = _database(settings)
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


@app.command()
def models() -> None:
    """List every model in the registry; the active one is marked."""

    def action(settings: Settings) -> None:
        from rich.table import Column, Table

        from training.storage.registry import ModelRegistry

        infos = ModelRegistry(_database(settings)).list()
        if not infos:
            out().print("No models yet: run `sportbot train`.")
            return
        # The id folds onto more lines rather than being cut with "…": it is what
        # `promote` takes (which also accepts a unique prefix).
        table = Table(
            "",
            Column("id", overflow="fold", min_width=12),
            "backend",
            Column("labels", overflow="fold"),
            "accuracy",
            "created",
            "status",
        )
        for info in infos:
            accuracy = f"{info.accuracy:.4f}" if info.accuracy is not None else "-"
            table.add_row(
                "*" if info.status == ModelStatus.active else "",
                info.id,
                info.backend,
                ",".join(info.labels),
                accuracy,
                f"{info.created_at:%Y-%m-%d %H:%M}",
                info.status,
            )
        out().print(table)

    run(action)


@app.command()
def promote(
    model_id: str = typer.Argument(..., help="The model to activate (its id, or a unique prefix)."),
) -> None:
    """Make a registered model the active one (every process switches within seconds)."""

    def action(settings: Settings) -> None:
        from training.storage.registry import ModelRegistry

        registry = ModelRegistry(_database(settings))
        info = registry.promote(_resolve_model(registry, model_id))
        out().print(f"{info.id} is now the active model.")

    run(action)


def _resolve_model(registry, given: str) -> str:
    """The registered id ``given`` names: itself, or the one id it is a prefix of
    (a trailing ellipsis, as a cut-off table cell shows, is ignored)."""
    from training.errors import NoModelError

    if registry.get(given) is not None:
        return given
    prefix = given.rstrip("…").removesuffix("...")
    matches = [info.id for info in registry.list() if prefix and info.id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NoModelError(f"No model {given!r} in the registry (see `sportbot models`).")
    shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
    raise NoModelError(f"{given!r} matches {len(matches)} models ({shown}): give more of the id.")


# ---------------------------------------------------------------- examples and runs

app.add_typer(examples_app, name="examples")

runs_app = typer.Typer(help="Training runs: list, cancel, resume.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    limit: int = typer.Option(20, min=1, help="How many runs to show, newest first."),
) -> None:
    """List training runs (newest first)."""
    if ctx.invoked_subcommand is not None:
        return

    def action(settings: Settings) -> None:
        from training.storage.runs import RunStore

        runs = RunStore(_database(settings)).list(limit=limit)
        if not runs:
            out().print("No training runs yet: run `sportbot train`.")
            return
        console = out()
        # Plain lines, not a table: job ids stay whole (and greppable) in narrow terminals.
        console.print(
            "   id  backend        status       accuracy  promoted  started           job / model"
        )
        for info in runs:
            accuracy = f"{info.accuracy:.4f}" if info.accuracy is not None else "-"
            promoted = {None: "-", True: "yes", False: "no"}[info.promoted]
            what = info.job_id or "-"
            if info.model_id:
                what += f" -> {info.model_id}"
            line = (
                f"{info.id:>5}  {info.backend:<13}  {info.status:<11}  {accuracy:>8}  {promoted:<8}"
                f"  {info.created_at:%Y-%m-%d %H:%M}  {what}"
            )
            console.print(escape(line))
            if info.error:
                console.print(f"       [red]{escape(info.error)}[/red]")

    run(action)


@runs_app.command("cancel")
def runs_cancel(run_id: int = typer.Argument(..., help="The run to cancel.")) -> None:
    """Cancel a run and its OpenAI fine-tuning job."""

    def action(settings: Settings) -> None:
        from training.pipeline import run as pipeline

        info = pipeline.cancel(pipeline.context(settings, _database(settings)), run_id)
        out().print(f"Run {info.id} cancelled" + (f" (job {info.job_id})." if info.job_id else "."))

    run(action)


@runs_app.command("resume")
def runs_resume(
    run_id: int | None = typer.Argument(None, help="Only this run (default: every unfinished)."),
    poll_interval: float | None = typer.Option(None, min=0.0, help="Seconds between polls."),
    force: bool = typer.Option(
        False, help="Promote even when worse than the active model or lacking a label it has."
    ),
) -> None:
    """Resume unfinished runs: poll their jobs (never launching a second one) and finish them."""

    def action(settings: Settings) -> None:
        from training.pipeline import run as pipeline

        db = _database(settings)

        def work(progress):
            ctx = pipeline.context(
                settings, db, progress=progress, poll_interval=poll_interval, force=force
            )
            return pipeline.resume(ctx, run_id)

        outcomes = _with_status("Resuming…", work)
        if not outcomes:
            out().print("No unfinished runs.")
        for outcome in outcomes:
            _print_outcome(out(), outcome)

    run(action)
