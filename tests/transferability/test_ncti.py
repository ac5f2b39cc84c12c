import numpy as np
import pytest

from skspider.transferability import NCTI

rng = np.random.default_rng(0)
Y = np.repeat([0, 1, 2], 20)
NOISE = rng.normal(size=(60, 12))
PTMS = [NOISE + s * np.eye(12)[Y] for s in (0.2, 1.0, 3.0)]


def test_single_fit_warns_and_scores_zero_but_keeps_terms():
    with pytest.warns(UserWarning, match="score_models"):
        est = NCTI(pca_dim=8).fit(PTMS[2], Y)
    assert est.score_ == 0.0
    assert est.seli_ > 0 and 0 < est.ncc_ <= 1 and np.isfinite(est.vc_)


def test_set_scores_are_the_normalised_terms():
    scores = NCTI(pca_dim=8).score_models(PTMS, Y)
    terms = []
    for X in PTMS:
        with pytest.warns(UserWarning):
            e = NCTI(pca_dim=8).fit(X, Y)
        terms.append((e.seli_, e.ncc_, e.vc_))
    seli, ncc, vc = (np.array(t) for t in zip(*terms))

    def mm(v):
        return (v - v.min()) / (v.max() - v.min())

    np.testing.assert_allclose(scores, mm(seli) + mm(ncc) - mm(vc))
    assert np.argmax(scores) == 2


def test_one_ptm_set_and_empty_set():
    np.testing.assert_array_equal(NCTI(pca_dim=8).score_models(PTMS[:1], Y), [0.0])
    with pytest.raises(ValueError, match="at least one"):
        NCTI().score_models([], Y)


def test_parallel_equals_sequential():
    np.testing.assert_allclose(
        NCTI(pca_dim=8, n_jobs=2).score_models(PTMS, Y),
        NCTI(pca_dim=8).score_models(PTMS, Y),
    )


def test_is_set_level():
    assert NCTI.set_level is True
