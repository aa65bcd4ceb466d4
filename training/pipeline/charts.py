"""PNG charts of training runs: a job's loss/accuracy curve, a confusion matrix, and the
accuracy of recent runs (App Home shows that one).

matplotlib is imported only when a chart is drawn, with the Agg backend (servers
and CI have no display). Imports nothing of ``training`` or ``bot/``: the Slack
app's processes load it without pandas or scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


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
