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
        OTCE().fit(XT, YT, source_features=FS)


def test_source_width_must_match():
    with pytest.raises(ValueError, match="same PTM"):
        OTCE().fit(XT, YT, source_features=FS[:, :2], source_labels=YS)
    with pytest.raises(ValueError, match="one label per row"):
        OTCE().fit(XT, YT, source_features=FS, source_labels=YS[:-1])


def test_aligned_classes_have_zero_conditional_entropy():
    est = OTCE().fit(XT, YT, source_features=FS, source_labels=YS)
    assert est.conditional_entropy_ == pytest.approx(0.0, abs=1e-12)
    assert est.score_ == pytest.approx(-est.wasserstein_)
    nce = OTCE(domain_weight=0.0).fit(XT, YT, source_features=FS, source_labels=YS)
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


def test_source_set_is_fit_data_not_a_parameter():
    # The source set is data passed to fit: the estimator's parameters stay hyper-parameters
    # only, and fit, score and pickling behave as for any estimator.
    import pickle

    est = OTCE()
    assert est.get_params() == {"domain_weight": 1.0}
    fitted = est.fit(XT, YT, source_features=FS, source_labels=YS)
    assert fitted is est and est.get_params() == {"domain_weight": 1.0}
    assert est.score(XT, YT, source_features=FS, source_labels=YS) == est.score_
    again = pickle.loads(pickle.dumps(est))
    assert again.score_ == est.score_
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        OTCE().score(XT, YT, source=FS)
