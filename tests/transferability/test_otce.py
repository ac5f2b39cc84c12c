import numpy as np
import pytest
from scipy import optimize
from scipy.spatial.distance import cdist

from skspider.transferability import OTCE
from skspider.transferability._otce import exact_transport

rng = np.random.default_rng(0)
YS = np.repeat([0, 1, 2], 10)
FS = rng.normal(size=(30, 3)) + 4.0 * np.eye(3)[YS]
YT = np.repeat([0, 1, 2], 8)
XT = rng.normal(size=(24, 3)) + 4.0 * np.eye(3)[YT]


def test_missing_source_data_is_a_clear_error():
    with pytest.raises(ValueError, match="source_features and source_labels"):
        OTCE().fit(XT, YT)
    with pytest.raises(ValueError, match="source_labels"):
        OTCE(source_features=FS).fit(XT, YT)


def test_source_width_must_match():
    with pytest.raises(ValueError, match="same PTM"):
        OTCE(source_features=FS[:, :2], source_labels=YS).fit(XT, YT)
    with pytest.raises(ValueError, match="one label per row"):
        OTCE(source_features=FS, source_labels=YS[:-1]).fit(XT, YT)


def test_aligned_classes_have_zero_conditional_entropy():
    est = OTCE(source_features=FS, source_labels=YS).fit(XT, YT)
    assert est.conditional_entropy_ == pytest.approx(0.0, abs=1e-12)
    assert est.score_ == pytest.approx(-est.wasserstein_)
    nce = OTCE(source_features=FS, source_labels=YS, domain_weight=0.0).fit(XT, YT)
    assert nce.score_ == pytest.approx(-nce.conditional_entropy_, abs=1e-12)


@pytest.mark.parametrize("m", [30, 24])
def test_exact_transport_is_optimal(m):
    cost = cdist(FS, XT[:m] if m <= 24 else np.vstack([XT, XT[:6]]), "sqeuclidean")
    n, m = cost.shape
    P = exact_transport(cost)
    np.testing.assert_allclose(P.sum(axis=1), 1 / n, atol=1e-12)
    np.testing.assert_allclose(P.sum(axis=0), 1 / m, atol=1e-12)
    # Against the dense linear program.
    A = np.vstack([np.kron(np.eye(n), np.ones(m)), np.kron(np.ones(n), np.eye(m))])
    b = np.concatenate([np.full(n, 1 / n), np.full(m, 1 / m)])
    lp = optimize.linprog(cost.ravel(), A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    assert (P * cost).sum() == pytest.approx(lp.fun, rel=1e-9)


def test_score_models_pairs_per_ptm_sources():
    Fs2 = FS[:, :2]
    est = OTCE(source_features=[FS, Fs2], source_labels=YS)
    scores = est.score_models([XT, XT[:, :2]], YT)
    assert scores[0] == OTCE(source_features=FS, source_labels=YS).fit(XT, YT).score_
    assert scores[1] == OTCE(source_features=Fs2, source_labels=YS).fit(XT[:, :2], YT).score_
    with pytest.raises(ValueError, match="score_models"):
        est.fit(XT, YT)
    with pytest.raises(ValueError, match="2 per-PTM arrays but 3 PTMs"):
        est.score_models([XT, XT, XT], YT)
