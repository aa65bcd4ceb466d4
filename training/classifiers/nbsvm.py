# ruff: noqa: N803, N806 - scikit-learn's names: C, X
"""NB-LR: logistic regression on naive-Bayes-scaled features (Wang & Manning, 2012).

"Baselines and Bigrams: Simple, Good Sentiment and Topic Classification" scales
each feature by the log-count ratio ``r`` of the two classes (how much more often
it appears in one class's documents than in the other's), then fits a linear
model. On this project's data it is what lifted baseball-vs-hockey on the
20 Newsgroups test posts from 0.974 to 0.985 (cross-validation on the train
split agreed): words like "pitcher" and "goalie" carry their class strongly
even where the author's usual words point the other way.

``r`` is folded into ``coef_`` after fitting, so scoring is one dot product
over the unscaled features, like any linear model (the local model's lean
path gathers ``coef_`` columns directly). Binary only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


class NBLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary classifier: ``LogisticRegression(C)`` on features scaled by ``r``.

    ``alpha`` smooths the presence counts ``r`` is made of. ``coef_`` and
    ``intercept_`` score unscaled features; ``classes_[1]`` is the positive class.
    """

    def __init__(
        self,
        *,
        C: float = 30.0,
        alpha: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NBLogisticRegression:
        X = sp.csr_matrix(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"NBLogisticRegression is binary; got classes {list(self.classes_)}.")
        positive = y == self.classes_[1]
        present = X.copy()
        present.data[:] = 1.0
        p = self.alpha + np.asarray(present[positive].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(present[~positive].sum(axis=0)).ravel()
        ratio = np.log(p / p.sum()) - np.log(q / q.sum())
        inner = LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter
        ).fit(X.multiply(ratio).tocsr(), positive.astype(int), sample_weight=sample_weight)
        self.coef_ = inner.coef_ * ratio
        self.intercept_ = inner.intercept_
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The log-odds of ``classes_[1]``, one per row."""
        return np.asarray(X @ self.coef_.ravel()).ravel() + self.intercept_[0]

    def predict_proba(self, X: Any) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
