"""Stage: evaluate a classifier on labelled examples; metrics as plain dicts.

Everything comes from scikit-learn's metrics, so the numbers mean what they
mean everywhere else: accuracy, precision/recall/F1 per class, the confusion
matrix (rows: true label, columns: predicted, in ``labels`` order) and ROC AUC
from the predicted probabilities (one-vs-rest when there are three classes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, roc_auc_score

from training.classifiers.base import TextClassifier


def evaluate(
    classifier: TextClassifier, texts: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Metrics of ``classifier`` on ``texts`` whose true labels are ``labels``."""
    probabilities = np.asarray(classifier.predict_proba(list(texts)))
    classes = [str(label) for label in classifier.classes_]
    predicted = [classes[i] for i in probabilities.argmax(axis=1)]
    return metrics_from(list(labels), predicted, probabilities, classes)


def comparison_set(
    own: pd.DataFrame, others: Iterable[pd.DataFrame], *, trained_on: Iterable[str] = ()
) -> pd.DataFrame:
    """The examples a candidate and the active model are both judged on (``text``/``label``).

    The candidate's own validation examples, plus the held-out examples of the models it
    would replace: a candidate prepared from other data (say, baseball/hockey only) is then
    also measured on every label the active model answers, instead of only on the labels
    it happens to know. Texts the candidate trained on are left out of the others (they
    are not held out for it), and each text counts once.
    """
    seen = set(trained_on)
    frames = [own[["text", "label"]]]
    for frame in others:
        frames.append(frame.loc[~frame["text"].isin(seen), ["text", "label"]])
    merged = pd.concat(frames, ignore_index=True)
    return merged.drop_duplicates(subset="text", keep="first").reset_index(drop=True)


def metrics_from(
    truth: list[str], predicted: list[str], probabilities: np.ndarray, classes: list[str]
) -> dict[str, Any]:
    """The metrics dict from true labels, predictions and probabilities (columns = ``classes``)."""
    labels = sorted(set(truth) | set(predicted) | set(classes))
    report = classification_report(
        truth, predicted, labels=labels, output_dict=True, zero_division=0
    )
    return {
        "n": len(truth),
        "accuracy": float(accuracy_score(truth, predicted)),
        "per_class": {
            label: {
                "precision": float(report[label]["precision"]),
                "recall": float(report[label]["recall"]),
                "f1": float(report[label]["f1-score"]),
                "support": int(report[label]["support"]),
            }
            for label in labels
        },
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "labels": labels,
        "confusion_matrix": confusion_matrix(truth, predicted, labels=labels).tolist(),
        "roc_auc": _roc_auc(truth, probabilities, classes),
    }


def _roc_auc(truth: list[str], probabilities: np.ndarray, classes: list[str]) -> float | None:
    """ROC AUC, or None where it is undefined (a single class present, unknown labels)."""
    present = sorted(set(truth))
    if len(present) < 2 or not set(present) <= set(classes):
        return None
    if len(classes) == 2:
        positive = classes[1]
        return float(roc_auc_score([t == positive for t in truth], probabilities[:, 1]))
    columns = [classes.index(label) for label in present]
    scores = probabilities[:, columns]
    scores = scores / np.clip(scores.sum(axis=1, keepdims=True), 1e-12, None)
    if len(present) == 2:
        return float(roc_auc_score([t == present[1] for t in truth], scores[:, 1]))
    return float(roc_auc_score(truth, scores, multi_class="ovr", labels=present))
