"""Stage: the run report, a plain dict, shown as terminal lines, a JSON file and Slack blocks.

The report is built from the run (``build``), so the CLI, the JSON file and the
Slack blocks all show the same numbers; ``publish`` writes it with its charts
into the run folder and puts it into the run's one Slack message
(``training.slack.message.SlackReport``). Imports ``training`` only, never ``bot/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.openai_api import jobs as openai_jobs
from training.pipeline import charts
from training.slack.message import text_block
from training.states import RunStatus

if TYPE_CHECKING:
    from training.pipeline.context import Context
    from training.storage.runs import RunInfo


def build(
    *,
    run_id: int,
    backend: str,
    base_model: str,
    status: str,
    job_id: str | None = None,
    model_id: str | None = None,
    trained_tokens: int | None = None,
    duration_s: float | None = None,
    candidate: dict[str, Any] | None = None,
    active: dict[str, Any] | None = None,
    promoted: bool | None = None,
    reason: str | None = None,
    error: str | None = None,
    corrections: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a person wants to know about a finished run, as JSON-ready data."""
    return {
        "run_id": run_id,
        "backend": backend,
        "base_model": base_model,
        "status": status,
        "job_id": job_id,
        "model_id": model_id,
        "trained_tokens": trained_tokens,
        "duration_s": round(duration_s, 1) if duration_s is not None else None,
        "candidate": candidate,
        "active": active,
        "promoted": promoted,
        "reason": reason,
        "error": error,
        # Accuracy on the corrected messages trained on: {"n", "before", "after"}.
        "corrections": corrections,
    }


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The report as plain lines (terminal and Slack fallback text)."""
    lines = [
        f"Run {report['run_id']} ({report['backend']}, base {report['base_model']}): "
        f"{report['status']}"
    ]
    if report.get("job_id"):
        lines.append(f"Job: {report['job_id']}")
    if report.get("model_id"):
        lines.append(f"Model: {report['model_id']}")
    if report.get("trained_tokens") is not None:
        lines.append(f"Trained tokens: {report['trained_tokens']}")
    if report.get("duration_s") is not None:
        lines.append(f"Duration: {_duration(report['duration_s'])}")
    lines.extend(metric_lines(report.get("candidate"), report.get("active")))
    lines.extend(prompt_lines(report.get("candidate")))
    if report.get("corrections"):
        lines.append(corrections_line(report["corrections"]))
    if report.get("error"):
        lines.append(f"Error: {report['error']}")
    if report.get("promoted") is not None:
        verdict = "promoted" if report["promoted"] else "not promoted"
        lines.append(f"Result: {verdict} ({report.get('reason') or ''})")
    return lines


def metric_lines(candidate: dict | None, active: dict | None) -> list[str]:
    """Candidate vs active, side by side: accuracy, ROC AUC, F1 per class."""
    if not candidate:
        return []

    def cell(metrics: dict | None, key: str, label: str | None = None) -> str:
        if not metrics:
            return "-"
        value = metrics.get("per_class", {}).get(label, {}).get(key) if label else metrics.get(key)
        return f"{value:.3f}" if isinstance(value, int | float) else "-"

    lines = ["metric            candidate  active"]
    for key in ("accuracy", "macro_f1", "roc_auc"):
        lines.append(f"{key:<17} {cell(candidate, key):>9}  {cell(active, key):>6}")
    for label in candidate.get("per_class", {}):
        lines.append(
            f"f1 {label:<14} {cell(candidate, 'f1', label):>9}  {cell(active, 'f1', label):>6}"
        )
    return lines


def corrections_line(corrections: dict[str, Any]) -> str:
    """What people's corrections changed: accuracy on those messages before and after."""
    before = corrections.get("before")
    shown = f"{before:.0%}" if isinstance(before, int | float) else "-"
    return (
        f"Corrected messages ({corrections['n']}): {shown} right before, "
        f"{corrections['after']:.0%} after"
    )


def blocks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Block Kit for the final message."""
    ok = report["status"] == RunStatus.succeeded
    icon = ":white_check_mark:" if ok else ":x:"
    title = f"{icon} Retraining run {report['run_id']} {report['status']}"
    fields = [
        ("Job", report.get("job_id") or "-"),
        ("Base model", report["base_model"]),
        ("Trained tokens", str(report.get("trained_tokens") or "-")),
        ("Duration", _duration(report.get("duration_s"))),
    ]
    result: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        },
    ]
    table = metric_lines(report.get("candidate"), report.get("active"))
    if table:
        result.append(text_block("```" + "\n".join(table) + "```"))
    prompt = prompt_lines(report.get("candidate"))
    if prompt:
        result.append(text_block("\n".join(prompt)))
    if report.get("corrections"):
        result.append(text_block(corrections_line(report["corrections"])))
    if report.get("error"):
        result.append(text_block(f"*Error:* {report['error']}"))
    if report.get("promoted") is not None:
        verdict = "Promoted :rocket:" if report["promoted"] else "Not promoted"
        model = f" `{report['model_id']}`" if report.get("model_id") else ""
        result.append(text_block(f"*{verdict}*{model}: {report.get('reason') or ''}"))
    return result


def prompt_lines(candidate: dict | None) -> list[str]:
    """A prompted model's example bank and what classifying with it costs."""
    if not candidate or not candidate.get("bank"):
        return []
    from training.classifiers.prompted import CostEstimate

    bank = candidate["bank"]
    lines = [
        f"Example bank {bank['version'][:12]}: {bank['examples']} examples, "
        f"{bank['k']} nearest per request"
    ]
    if candidate.get("cost"):
        lines.append(f"Classifying costs {CostEstimate.from_dict(candidate['cost']).line()}")
    return lines


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def write_json(report: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return path


def publish(ctx: Context, run: RunInfo, report: dict[str, Any]) -> list[Path]:
    """JSON report and charts in the run folder; the final Slack message and uploads."""
    folder = ctx.folder(run)
    write_json(report, folder)
    paths = []
    results = folder / "results.csv"
    if results.exists():
        rows = openai_jobs.parse_results(results.read_text(encoding="utf-8"))
        paths.append(charts.training_curve(rows, folder / "training_curve.png"))
    paths.append(charts.confusion_chart(report.get("candidate"), folder / "confusion.png"))
    paths = [path for path in paths if path is not None]
    lines = summary_lines(report)
    for line in lines:
        ctx.progress(line)
    if ctx.report is not None:
        ctx.report.finish("\n".join(lines), blocks(report))
        ctx.report.upload(paths)
    return paths
