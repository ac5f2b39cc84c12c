import pickle
import sys

import numpy as np
import pytest
from sklearn.base import clone

from skspider.transferability import NCTI

rng = np.random.default_rng(0)
Y = np.repeat([0, 1, 2], 20)
NOISE = rng.normal(size=(60, 12))
PTMS = [NOISE + s * np.eye(12)[Y] for s in (0.2, 1.0, 3.0)]


def _terms(X, y=Y):
    return NCTI(pca_dim=8)._ptm_terms(X, y)


def test_single_ptm_is_a_clear_error_not_a_constant_score():
    # Before: fit on one PTM scored 0.0 (with a warning), whatever the PTM.
    for call in (
        lambda: NCTI(pca_dim=8).fit(PTMS[2], Y),
        lambda: NCTI(pca_dim=8).score(PTMS[2], Y),
        lambda: NCTI(pca_dim=8).score_models(PTMS[:1], Y),
        lambda: NCTI().score_models([], Y),
    ):
        with pytest.raises(ValueError, match="at least two PTMs"):
            call()


def test_tags_declare_a_set_input():
    # The array-based common checks are skipped through the tag (not passed vacuously).
    assert NCTI().__sklearn_tags__().input_tags.two_d_array is False
    assert NCTI.set_level is True


def test_set_scores_are_the_normalised_terms():
    scores = NCTI(pca_dim=8).score_models(PTMS, Y)
    seli, ncc, vc = np.array([_terms(X) for X in PTMS]).T
    assert (seli > 0).all() and ((ncc > 0) & (ncc <= 1)).all() and np.isfinite(vc).all()

    def mm(v):
        return (v - v.min()) / (v.max() - v.min())

    np.testing.assert_allclose(scores, mm(seli) + mm(ncc) - mm(vc))
    assert np.argmax(scores) == 2


def test_parallel_equals_sequential():
    np.testing.assert_allclose(
        NCTI(pca_dim=8, n_jobs=2).score_models(PTMS, Y),
        NCTI(pca_dim=8).score_models(PTMS, Y),
    )


def test_verbose_is_a_bar_over_the_ptms_on_stderr(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain lines: exact counts
    quiet = NCTI(pca_dim=8).score_models(PTMS, Y)
    assert capsys.readouterr() == ("", "")
    loud = NCTI(pca_dim=8, verbose=1).score_models(PTMS, Y)
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines()[-1].startswith("[NCTI] 3/3 PTM (100%)")
    np.testing.assert_array_equal(loud, quiet)


def test_api_clone_params_pickle_and_validation():
    est = NCTI(pca_dim=8)
    assert clone(est).get_params() == est.get_params()
    assert est.set_params(pca_dim=4).pca_dim == 4
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.score_models(PTMS, Y), est.score_models(PTMS, Y))
    with pytest.raises(ValueError, match="pca_dim"):
        NCTI(pca_dim=0).score_models(PTMS, Y)
    with pytest.raises(ValueError, match="NaN"):
        NCTI().score_models([PTMS[0], np.full_like(PTMS[1], np.nan)], Y)
    with pytest.raises(TypeError):
        NCTI(4)  # keyword-only
    before = [X.copy() for X in PTMS]
    NCTI(pca_dim=8).score_models(PTMS, Y)
    for a, b in zip(PTMS, before):
        np.testing.assert_array_equal(a, b)


def test_deterministic_without_a_seed():
    # The PCA is exact: two calls agree exactly (no randomized solver, nothing to seed).
    big = [np.tile(X, (20, 1)) for X in PTMS]  # 1200 x 12: scikit-learn's "auto" is exact
    yy = np.tile(Y, 20)
    np.testing.assert_array_equal(
        NCTI(pca_dim=8).score_models(big, yy), NCTI(pca_dim=8).score_models(big, yy)
    )
