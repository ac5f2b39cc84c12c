"""Invariances of the transferability estimators, checked by hypothesis."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skspider.transferability import LEEP, NCE, HScore, LogME

SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def problems(draw):
    """Features, labels and source probabilities of a small random task."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_classes = draw(st.integers(2, 4))
    n = draw(st.integers(2 * n_classes + 2, 40))
    d = draw(st.integers(1, 12))
    k = draw(st.integers(2, 6))
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, n - n_classes)])
    X = rng.normal(size=(n, d)) + rng.normal(size=(n_classes, d))[y]
    logits = 2.0 * rng.normal(size=(n, k)) + rng.normal(size=(n_classes, k))[y]
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return X, y, P, rng


FEATURE_ESTIMATORS = [LogME(), LogME(algorithm="icml"), HScore(), HScore(shrinkage="ledoit_wolf")]
PROBA_ESTIMATORS = [LEEP(), NCE()]


def _inputs(est, X, P):
    return P if est.input_kind == "probas" else X


@pytest.mark.parametrize("est", FEATURE_ESTIMATORS + PROBA_ESTIMATORS, ids=repr)
@SETTINGS
@given(problem=problems())
def test_label_permutation_and_renaming(est, problem):
    X, y, P, rng = problem
    Z = _inputs(est, X, P)
    perm = rng.permutation(y.max() + 1)
    renamed = np.array([f"class-{p}" for p in perm])[y]
    ref = est.score(Z, y)
    assert est.score(Z, perm[y]) == pytest.approx(ref, rel=1e-7, abs=1e-9)
    assert est.score(Z, renamed) == pytest.approx(ref, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("est", FEATURE_ESTIMATORS + PROBA_ESTIMATORS, ids=repr)
@SETTINGS
@given(problem=problems())
def test_sample_order(est, problem):
    X, y, P, rng = problem
    Z = _inputs(est, X, P)
    order = rng.permutation(len(y))
    assert est.score(Z[order], y[order]) == pytest.approx(est.score(Z, y), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("est", PROBA_ESTIMATORS, ids=repr)
@SETTINGS
@given(problem=problems())
def test_source_class_order(est, problem):
    _, y, P, rng = problem
    cols = rng.permutation(P.shape[1])
    # NCE's argmax breaks exact ties by position; random probabilities have none.
    assert est.score(P[:, cols], y) == pytest.approx(est.score(P, y), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("est", [HScore(), HScore(shrinkage="ledoit_wolf")], ids=repr)
@SETTINGS
@given(problem=problems(), scale=st.floats(1e-3, 1e3))
def test_hscore_scale_invariance(est, problem, scale):
    X, y, _, _ = problem
    assert est.score(scale * X, y) == pytest.approx(est.score(X, y), rel=1e-6, abs=1e-9)


@SETTINGS
@given(problem=problems())
def test_logme_rotation_invariance(problem):
    # LogME's prior is isotropic: an orthogonal map of the features changes nothing (it is
    # NOT scale invariant, so no such test for scaling).
    X, y, _, rng = problem
    Q, _ = np.linalg.qr(rng.normal(size=(X.shape[1], X.shape[1])))
    est = LogME()
    assert est.score(X @ Q, y) == pytest.approx(est.score(X, y), rel=1e-6, abs=1e-9)


@SETTINGS
@given(problem=problems())
def test_scores_in_their_ranges(problem):
    X, y, P, _ = problem
    n_classes = y.max() + 1
    assert LEEP().score(P, y) <= 1e-12
    assert -np.log(n_classes) - 1e-9 <= NCE().score(P, y) <= 1e-12
    assert -1e-9 <= HScore().score(X, y) <= n_classes - 1 + 1e-6
