"""NB-LR (training.classifiers.nbsvm): the folded coefficients score like the scaled model."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from training.classifiers.nbsvm import NBLogisticRegression

pytestmark = pytest.mark.unit


def _data(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = sp.random(200, 50, density=0.2, random_state=seed, format="lil")
    y = np.where(rng.random(200) < 0.5, "baseball", "hockey")
    features[np.flatnonzero(y == "hockey"), 0] = 1.0  # feature 0 says hockey
    return features.tocsr(), y


def test_folded_coefficients_equal_logistic_regression_on_scaled_features() -> None:
    features, y = _data()
    model = NBLogisticRegression(C=5.0, alpha=1.0).fit(features, y)

    present = features.copy()
    present.data[:] = 1.0
    p = 1.0 + np.asarray(present[y == "hockey"].sum(axis=0)).ravel()
    q = 1.0 + np.asarray(present[y == "baseball"].sum(axis=0)).ravel()
    ratio = np.log(p / p.sum()) - np.log(q / q.sum())
    inner = LogisticRegression(C=5.0, max_iter=1000).fit(
        features.multiply(ratio).tocsr(), y == "hockey"
    )

    np.testing.assert_allclose(
        model.decision_function(features),
        inner.decision_function(features.multiply(ratio).tocsr()),
        atol=1e-9,
    )
    assert list(model.classes_) == ["baseball", "hockey"]
    assert model.coef_[0, 0] > 0  # the telling feature points at classes_[1]


def test_predictions_and_probabilities_agree() -> None:
    features, y = _data(1)
    model = clone(NBLogisticRegression()).fit(features, y)
    proba = model.predict_proba(features)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(features) == model.classes_[proba.argmax(axis=1)]).all()
    assert model.score(features, y) > 0.9


def test_more_than_two_classes_are_refused() -> None:
    features, _ = _data()
    with pytest.raises(ValueError, match="binary"):
        NBLogisticRegression().fit(features, np.array(["a", "b", "c", "d"] * 50))
