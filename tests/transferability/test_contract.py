"""The scikit-learn contract of the transferability estimators: score, fit context, params."""

import inspect
import re

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

import skspider.transferability as T
from skspider.transferability import (
    GBC,
    NCTI,
    NLEEP,
    PARC,
    HScore,
    LogME,
    PACTranDirichlet,
    PACTranGamma,
    PACTranGaussian,
)

# Every public estimator class of the subpackage (EMMS and OTCE included: their side data
# now lives on the Task), and TransferabilityRanker.
ESTIMATORS = [
    cls
    for cls in map(T.__dict__.get, T.__all__)
    if inspect.isclass(cls)
    and issubclass(cls, (T.BaseTransferabilityEstimator, T.TransferabilityRanker))
    and cls is not T.BaseTransferabilityEstimator
]


def _data(n=60, d=5, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    return rng.normal(size=(n, d)) + 2.0 * np.eye(3, d)[y], y


def test_cross_val_score_is_a_clear_error_not_each_folds_transferability():
    # Before: it silently returned the transferability of each test fold.
    X, y = _data()
    with pytest.raises(ValueError, match="not the data it was fitted on"):
        cross_val_score(LogME(), X, y, cv=3, error_score="raise")
    with pytest.raises(ValueError, match="cross_val_score"):
        GridSearchCV(HScore(), {"shrinkage": [None, 0.5]}, cv=3, error_score="raise").fit(X, y)


def test_score_of_unfitted_and_fitted_estimators():
    X, y = _data()
    est = LogME()
    value = est.score(X, y)  # unfitted: the transferability of (X, y), est unchanged
    assert not hasattr(est, "score_")
    est.fit(X, y)
    assert est.score(X, y) == value == est.score_
    assert est.score(np.asfortranarray(X), list(y)) == value
    X2, y2 = _data(seed=1)
    with pytest.raises(ValueError, match=re.escape("LogME().score(X, y) or clone")):
        est.score(X2, y2)
    with pytest.raises(ValueError, match="not the data"):
        est.score(X, np.roll(y, 1))
    with pytest.raises(ValueError, match="expecting 5 features"):
        est.score(X[:, :4], y)
    assert clone(est).score(X2, y2) == LogME().fit(X2, y2).score_


def test_fitted_score_refuses_data_that_differs_in_any_row():
    # Before: only 64 evenly spaced rows were hashed, so a change elsewhere (row 1 of 200)
    # returned the fitted data's score for other data, silently.
    X, y = _data(n=200)
    est = LogME().fit(X, y)
    X2 = X.copy()
    X2[1] += 5.0
    assert LogME().score(X2, y) != est.score_
    with pytest.raises(ValueError, match="not the data"):
        est.score(X2, y)


@pytest.mark.parametrize("Estimator", [LogME, HScore, NLEEP], ids=lambda c: c.__name__)
def test_fit_honours_skip_parameter_validation(Estimator, monkeypatch):
    calls = []
    original = Estimator._validate_params
    monkeypatch.setattr(
        Estimator, "_validate_params", lambda self: calls.append(1) or original(self)
    )
    X, y = _data()
    Estimator().fit(X, y)
    assert calls == [1]
    with sklearn.config_context(skip_parameter_validation=True):
        Estimator().fit(X, y)
    assert calls == [1]


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_constructor_parameters_are_keyword_only(Estimator):
    assert len(ESTIMATORS) >= 17  # the list is discovered: it must not silently shrink
    params = list(inspect.signature(Estimator.__init__).parameters.values())[1:]
    if params and params[0].name == "estimator":
        params = params[1:]  # a meta-estimator's wrapped estimator, as RFE(estimator, *, ...)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)


def test_no_random_state_where_nothing_is_random():
    for Estimator in (GBC, NCTI):
        assert "random_state" not in Estimator().get_params()
    # PARC draws a subsample of large tasks (max_samples).
    for Estimator in (NLEEP, PACTranGaussian, PARC):
        assert "random_state" in Estimator().get_params()
    for Estimator in (PACTranDirichlet, PACTranGamma):
        assert "max_iter" in Estimator().get_params()
        assert "n_iter" not in Estimator().get_params()
