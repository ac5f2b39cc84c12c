"""Properties every baseline must have: separated classes score higher than overlapping
ones, invariance to label names and sample order, determinism, inputs never modified."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax

from skspider.transferability import (
    EMMS,
    GBC,
    LFC,
    NCTI,
    OTCE,
    PARC,
    SFDA,
    PACTranDirichlet,
    PACTranGamma,
    PACTranGaussian,
    TransRate,
)

N_PER_CLASS, N_CLASSES, DIM = 25, 3, 10
SRC_RNG = np.random.default_rng(123)
SOURCE_Y = np.repeat(np.arange(4), 15)
# Source classes 0..2 sit where the separated target classes do (shift 3 on their axis).
SOURCE_X = SRC_RNG.normal(size=(60, DIM)) + 3.0 * np.eye(DIM)[SOURCE_Y]


def feature_task(sep, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(N_CLASSES), N_PER_CLASS)
    X = rng.normal(size=(len(y), DIM)) + sep * np.eye(DIM)[y] * 3.0
    return X, y


def proba_task(sep, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(N_CLASSES), N_PER_CLASS)
    logits = rng.normal(size=(len(y), 6)) + sep * 4.0 * np.eye(6)[y]
    return softmax(logits, axis=1), y


ESTIMATORS = {
    "TransRate": lambda: TransRate(eps=1e-2),
    "GBC": lambda: GBC(pca_dim=None),
    "GBC-diagonal": lambda: GBC(pca_dim=5, gaussian="diagonal"),
    "SFDA": lambda: SFDA(),
    "LFC": lambda: LFC(),
    "PARC": lambda: PARC(pca_dim=8),
    "EMMS": lambda: EMMS(),
    "PACTranGaussian": lambda: PACTranGaussian(random_state=0),
    "PACTranDirichlet": lambda: PACTranDirichlet(),
    "PACTranGamma": lambda: PACTranGamma(),
    "OTCE": lambda: OTCE(),
}
# Side data passed to fit.
FIT_PARAMS = {"OTCE": {"source_features": SOURCE_X, "source_labels": SOURCE_Y}}


def task_for(est, sep, seed=0):
    return proba_task(sep, seed) if est.input_kind == "probas" else feature_task(sep, seed)


def score(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **FIT_PARAMS.get(type(est).__name__, {})).score_


@pytest.mark.parametrize("name", ESTIMATORS)
def test_separated_classes_score_higher(name):
    est = ESTIMATORS[name]()
    good = score(est, *task_for(est, 1.0))
    bad = score(ESTIMATORS[name](), *task_for(est, 0.0))
    assert good > bad


@pytest.mark.parametrize("name", ESTIMATORS)
def test_invariant_to_label_names(name):
    est = ESTIMATORS[name]()
    X, y = task_for(est, 0.5)
    names = np.array(["cat", "ant", "bee"])  # sorted order differs from 0, 1, 2
    # The random initial weights of the L-BFGS fit land on other classes: same optimum up to
    # the optimiser's tolerance.
    rel = 1e-4 if name == "PACTranGaussian" else 1e-9
    assert score(ESTIMATORS[name](), X, names[y]) == pytest.approx(score(est, X, y), rel=rel)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_invariant_to_sample_order(name):
    est = ESTIMATORS[name]()
    X, y = task_for(est, 0.5)
    perm = np.random.default_rng(1).permutation(len(y))
    # Iterative fits (L-BFGS) reach the same optimum up to their tolerance.
    rel = 1e-4 if name == "PACTranGaussian" else 1e-8
    assert score(ESTIMATORS[name](), X[perm], y[perm]) == pytest.approx(score(est, X, y), rel=rel)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_deterministic_and_input_untouched(name):
    est = ESTIMATORS[name]()
    X, y = task_for(est, 0.5)
    X0, y0 = X.copy(), y.copy()
    first = score(est, X, y)
    assert score(ESTIMATORS[name](), X, y) == first
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("name", ["TransRate", "GBC", "SFDA", "LFC", "EMMS"])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50), perm_seed=st.integers(0, 100))
def test_label_permutation_invariance_hypothesis(name, seed, shift, perm_seed):
    # Renaming classes (any bijection) never changes a score; neither does a common shift of
    # the features for the methods that centre them.
    X, y = feature_task(0.5, seed)
    relabel = np.random.default_rng(perm_seed).permutation(N_CLASSES)
    base = score(ESTIMATORS[name](), X, y)
    assert score(ESTIMATORS[name](), X, relabel[y]) == pytest.approx(base, rel=1e-7, abs=1e-10)
    if name in ("TransRate", "GBC", "SFDA"):
        moved = score(ESTIMATORS[name](), X + shift, y)
        assert moved == pytest.approx(base, rel=1e-6, abs=1e-9)


def test_ncti_set_level_properties():
    tasks = [feature_task(sep, seed=0) for sep in (0.0, 0.3, 1.0)]
    y = tasks[0][1]
    Xs = [X for X, _ in tasks]
    scores = NCTI(pca_dim=8).score_models(Xs, y)
    # The best separated PTM wins; NCTI is a heuristic and need not order the others.
    assert np.argmax(scores) == 2
    # Relative scores: the order of the PTMs in the set does not matter.
    np.testing.assert_allclose(NCTI(pca_dim=8).score_models(Xs[::-1], y), scores[::-1])
    perm = np.random.default_rng(0).permutation(len(y))
    np.testing.assert_allclose(
        NCTI(pca_dim=8).score_models([X[perm] for X in Xs], y[perm]), scores, rtol=1e-7
    )
