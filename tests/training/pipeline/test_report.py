"""The run report: numbers, Block Kit and PNG charts."""

from __future__ import annotations

import json

import pytest

from training.pipeline import charts, report

CANDIDATE = {
    "accuracy": 0.95,
    "macro_f1": 0.94,
    "roc_auc": 0.99,
    "labels": ["baseball", "hockey"],
    "per_class": {
        "baseball": {"precision": 1.0, "recall": 0.9, "f1": 0.947, "support": 10},
        "hockey": {"precision": 0.9, "recall": 1.0, "f1": 0.947, "support": 10},
    },
    "confusion_matrix": [[9, 1], [0, 10]],
}
ACTIVE = {**CANDIDATE, "accuracy": 0.90, "model": "old"}


def _report(**changes):
    values = dict(
        run_id=5,
        backend="openai",
        base_model="babbage-002",
        status="succeeded",
        job_id="ftjob-abc",
        model_id="ft:babbage-002:x",
        trained_tokens=1234,
        duration_s=125,
        candidate=CANDIDATE,
        active=ACTIVE,
        promoted=True,
        reason="accuracy 0.95 vs 0.90",
    )
    return report.build(**(values | changes))


@pytest.mark.unit
def test_blocks_show_job_tokens_duration_metrics_side_by_side_and_verdict() -> None:
    text = json.dumps(report.blocks(_report()))
    for expected in ("ftjob-abc", "babbage-002", "1234", "2 min 5 s", "Promoted"):
        assert expected in text
    assert "accuracy              0.950   0.900" in text


@pytest.mark.unit
def test_failed_run_blocks_show_the_error_and_no_promotion() -> None:
    text = json.dumps(
        report.blocks(_report(status="failed", error="Out of quota", promoted=None, candidate=None))
    )
    assert "Out of quota" in text
    assert "Promoted" not in text
    assert ":x:" in text


@pytest.mark.unit
def test_charts_are_pngs(tmp_path) -> None:
    rows = [
        {
            "step": 1.0,
            "train_loss": 1.0,
            "train_accuracy": 0.5,
            "valid_loss": None,
            "valid_mean_token_accuracy": None,
        },
        {
            "step": 2.0,
            "train_loss": 0.5,
            "train_accuracy": 0.75,
            "valid_loss": 0.6,
            "valid_mean_token_accuracy": 0.85,
        },
    ]
    curve = charts.training_curve(rows, tmp_path / "curve.png")
    matrix = charts.confusion_chart(CANDIDATE, tmp_path / "cm.png")
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matrix.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.training_curve([], tmp_path / "none.png") is None
