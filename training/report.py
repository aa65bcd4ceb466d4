"""Stage: the run report — a JSON file, PNG charts, and one Slack message.

The report is a plain dict built from the run (``build``), so the CLI, the
JSON file and the Slack blocks all show the same numbers. Slack gets ONE
message per run: posted when the run starts, ``chat.update``'d as the job
moves and at the end; the charts follow with ``files_upload_v2``. training/
never imports bot/: it speaks to Slack through slack_sdk's WebClient only.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from training.config import Settings
from training.slack_client import web_client
from training.states import RunStatus

log = logging.getLogger(__name__)
MAX_LINES = 8  # progress lines kept in the Slack message


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
        result.append(_text_block("```" + "\n".join(table) + "```"))
    prompt = prompt_lines(report.get("candidate"))
    if prompt:
        result.append(_text_block("\n".join(prompt)))
    if report.get("corrections"):
        result.append(_text_block(corrections_line(report["corrections"])))
    if report.get("error"):
        result.append(_text_block(f"*Error:* {report['error']}"))
    if report.get("promoted") is not None:
        verdict = "Promoted :rocket:" if report["promoted"] else "Not promoted"
        model = f" `{report['model_id']}`" if report.get("model_id") else ""
        result.append(_text_block(f"*{verdict}*{model}: {report.get('reason') or ''}"))
    return result


def prompt_lines(candidate: dict | None) -> list[str]:
    """A prompted model's example bank and what classifying with it costs."""
    if not candidate or not candidate.get("bank"):
        return []
    from training.classifiers.prompt_cost import CostEstimate

    bank = candidate["bank"]
    lines = [
        f"Example bank {bank['version'][:12]}: {bank['examples']} examples, "
        f"{bank['k']} nearest per request"
    ]
    if candidate.get("cost"):
        lines.append(f"Classifying costs {CostEstimate.from_dict(candidate['cost']).line()}")
    return lines


def progress_blocks(title: str, lines: list[str]) -> list[dict[str, Any]]:
    body = "\n".join(f"• {line}" for line in lines[-MAX_LINES:]) or "…"
    return [_text_block(f"*{title}*"), _text_block(body)]


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


# ---------------------------------------------------------------- files


def write_json(report: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return path


def training_curve(rows: list[dict[str, float | None]], path: Path) -> Path | None:
    """Loss and accuracy per step from the result CSV; None when there are no rows."""
    if not rows:
        return None
    plt = _pyplot()
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(9, 3.5))
    for axis, columns in (
        (loss_axis, ("train_loss", "valid_loss")),
        (accuracy_axis, ("train_accuracy", "valid_mean_token_accuracy")),
    ):
        for column in columns:
            points = [(r["step"], r[column]) for r in rows if r.get(column) is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                axis.plot(xs, ys, marker="o" if len(points) < 20 else None, label=column)
        axis.set_xlabel("step")
        axis.legend()
    loss_axis.set_title("loss")
    accuracy_axis.set_title("accuracy")
    return _save(plt, figure, path)


def confusion_chart(metrics: dict[str, Any] | None, path: Path) -> Path | None:
    """The candidate's confusion matrix (rows: true, columns: predicted)."""
    if not metrics or not metrics.get("confusion_matrix"):
        return None
    plt = _pyplot()
    labels, matrix = metrics["labels"], metrics["confusion_matrix"]
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(labels)), labels)
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            axis.text(j, i, str(value), ha="center", va="center")
    axis.set_title("confusion matrix")
    return _save(plt, figure, path)


def accuracy_chart(runs: Sequence[Any], path: Path) -> Path | None:
    """Validation accuracy of the finished runs, oldest first (App Home shows it)."""
    rows = [run for run in reversed(runs) if getattr(run, "accuracy", None) is not None]
    if not rows:
        return None
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 2.6))
    names = [f"#{run.id}" for run in rows]
    values = [run.accuracy for run in rows]
    axis.plot(names, values, marker="o")
    for name, value in zip(names, values, strict=True):
        axis.annotate(f"{value:.1%}", (name, value), textcoords="offset points", xytext=(0, 6))
    low = min(values)
    axis.set_ylim(max(0.0, low - 0.05), 1.0)
    axis.set_ylabel("validation accuracy")
    axis.set_title("accuracy of recent training runs")
    return _save(plt, figure, path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display in servers and CI
    import matplotlib.pyplot as plt

    return plt


def _save(plt, figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
    return path


# ---------------------------------------------------------------- Slack


def slack_client(settings: Settings) -> WebClient | None:
    """The report's WebClient (the bot's retries and 429 pacing), or None (logged) when no
    bot token is configured."""
    if not settings.slack.bot_token:
        log.info("SLACK_BOT_TOKEN is not set: the training report is not posted to Slack.")
        return None
    return web_client(settings.slack)


class SlackReport:
    """One Slack message per run: posted once, then updated; failures only logged.

    Slack being down must never fail or stop a training run, so every call here
    logs one line and carries on: a Slack error, and just as well a network error
    that the client's retries did not get past (``URLError``, ``RemoteDisconnected``,
    a timeout), including the upload step of ``files_upload_v2``, which slack_sdk
    sends without retries.

    The same message serves a retraining started from Slack: the Slack app posts it
    (``start``) and hands it to the run (``train_local(report=...)``), which
    updates it with its progress and its final report (``final`` is then True).
    """

    def __init__(
        self,
        client: WebClient,
        channel: str,
        ts: str | None = None,
        *,
        title: str = "Retraining in progress",
    ) -> None:
        self.client = client
        self.channel = channel
        self.ts = ts
        self.title = title
        self.lines: list[str] = []
        self.final = False
        self._lock = threading.Lock()

    def start(self) -> str | None:
        """Post the message with its title only; returns its ts (None when Slack refused)."""
        return self.show(self.title, progress_blocks(self.title, []))

    def add(self, *lines: str) -> None:
        """Progress: the newest lines under the title, in ONE update however many lines."""
        if not lines:
            return
        with self._lock:
            self.lines = [*self.lines, *lines][-MAX_LINES:]
            shown = list(self.lines)
        text = "\n".join([self.title, *(f"• {line}" for line in shown)])
        self.show(text, progress_blocks(self.title, shown))

    def finish(self, text: str, message_blocks: list[dict[str, Any]]) -> str | None:
        """The final report: replaces the progress in the same message."""
        self.final = True
        return self.show(text, message_blocks)

    def show(self, text: str, message_blocks: list[dict[str, Any]]) -> str | None:
        """Post the message the first time, update it afterwards; returns its ts."""
        try:
            if self.ts is None:
                response = self.client.chat_postMessage(
                    channel=self.channel, text=text, blocks=message_blocks
                )
                # Posting to a user id lands in a DM: updates need the real channel id.
                self.channel, self.ts = response["channel"], response["ts"]
            else:
                self.client.chat_update(
                    channel=self.channel, ts=self.ts, text=text, blocks=message_blocks
                )
        except Exception as error:  # reporting never fails the run
            log.warning("Slack report not updated: %s", _problem(error))
        return self.ts

    def upload(self, paths: list[Path]) -> None:
        """Upload the charts into the message's thread (files_upload_v2)."""
        if not paths:
            return
        try:
            self.client.files_upload_v2(
                channel=self.channel,
                thread_ts=self.ts,
                file_uploads=[{"file": str(path), "title": path.stem} for path in paths],
                request_file_info=False,
            )
        except Exception as error:  # reporting never fails the run
            log.warning("Slack chart upload failed: %s", _problem(error))


def _problem(error: BaseException) -> str:
    """One line saying what went wrong: Slack's error code, or the network's reason."""
    if isinstance(error, SlackApiError):
        data = error.response.data if isinstance(error.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {error.response.status_code}")
    reason = getattr(error, "reason", None) or error
    return " ".join(f"{type(error).__name__}: {reason}".split())
