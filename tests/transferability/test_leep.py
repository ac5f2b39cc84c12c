"""LEEP, NCE and N-LEEP: definitions, probability input, and N-LEEP's properties."""

import pickle

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import clone

from skspider.transferability import LEEP, NCE, NLEEP, SaturationWarning
from skspider.transferability._leep import _leep


def _probas(n=60, z=5, c=3, seed=0, strength=2.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    logits = rng.normal(size=(n, z)) + strength * np.eye(c, z)[y]
    P = np.exp(logits)
    return P / P.sum(axis=1, keepdims=True), y


def test_leep_by_its_definition():
    P, y = _probas()
    n = len(y)
    expected = 0.0
    for i in range(n):
        total = 0.0
        for z in range(P.shape[1]):
            joint = P[y == y[i], z].sum() / n
            total += joint / (P[:, z].sum() / n) * P[i, z]
        expected += np.log(total) / n
    assert LEEP().score(P, y) == pytest.approx(expected, rel=1e-12)


def test_leep_and_nce_prefer_informative_source_heads():
    good, y = _probas(strength=4.0)
    bad, _ = _probas(strength=0.0)
    for est in (LEEP(), NCE()):
        assert est.score(good, y) > est.score(bad, y)


def test_nce_extremes():
    y = np.array([0, 0, 1, 1, 2, 2])
    onehot = np.eye(3)[y]
    assert NCE().score(onehot, y) == 0.0
    constant = np.tile([0.6, 0.3, 0.1], (6, 1))  # the same prediction for every sample
    assert NCE().score(constant, y) == pytest.approx(-np.log(3))


def test_source_class_without_mass_is_harmless():
    P, y = _probas(z=4)
    padded = np.hstack([P, np.zeros((len(y), 2))])
    assert LEEP().score(padded, y) == pytest.approx(LEEP().score(P, y), rel=1e-12)
    assert NCE().score(padded, y) == pytest.approx(NCE().score(P, y), rel=1e-12)


@pytest.mark.parametrize("est", [LEEP(), NCE()], ids=repr)
@pytest.mark.parametrize(
    ("P", "match"),
    [
        (np.array([[0.5, 0.6], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]]), "sum to 1"),
        (np.array([[2.0, -1.0], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]]), "negative"),
        (np.array([[np.nan, 1.0], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]]), "NaN"),
    ],
)
def test_probability_input_is_checked(est, P, match):
    with pytest.raises(ValueError, match=match):
        est.fit(P, [0, 1, 0, 1])


@pytest.mark.parametrize("est", [LEEP(), NCE()], ids=repr)
def test_valid_input_behaviour(est):
    # What the xfailed common checks would test, on real probabilities.
    P, y = _probas()
    before = P.copy()
    a = est.fit(P, y).score_
    assert est.fit(P, y) is est and est.score_ == a  # idempotent, returns self
    np.testing.assert_array_equal(P, before)
    assert pickle.loads(pickle.dumps(est)).score_ == a
    ro = P.copy()
    ro.setflags(write=False)
    assert clone(est).score(ro, y) == a
    assert clone(est).score(np.asfortranarray(P), y) == pytest.approx(a, rel=1e-12)
    assert clone(est).score(P.astype(np.float32), y) == pytest.approx(a, rel=1e-5)


def test_nleep_prefers_separated_classes():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    centres = 8.0 * rng.normal(size=(3, 6))
    separated = rng.normal(size=(120, 6)) + centres[y]
    overlapping = rng.normal(size=(120, 6)) + 0.1 * centres[y]
    est = NLEEP(n_components_per_class=2, random_state=0)
    assert est.score(separated, y) > est.score(overlapping, y)


def test_nleep_deterministic_and_label_permutation_invariant():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 30)
    X = rng.normal(size=(90, 5)) + 3.0 * np.eye(3, 5)[y]
    est = NLEEP(n_components_per_class=2, random_state=3)
    a = est.fit(X, y)
    assert est.n_components_ == 6 and 1 <= est.n_pca_components_ <= 5
    assert clone(est).fit(X, y).score_ == a.score_
    relabelled = np.array([2, 0, 1])[y]
    assert clone(est).fit(X, relabelled).score_ == pytest.approx(a.score_, rel=1e-10)


def test_nleep_is_leep_of_the_mixture_posteriors():
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 25)
    X = rng.normal(size=(50, 4)) + 2.0 * y[:, None]
    est = NLEEP(n_components_per_class=3, variance=1.0, random_state=0).fit(X, y)
    Z = PCA(n_components=4, svd_solver="full").fit_transform(X)
    gmm = GaussianMixture(6, covariance_type="diag", reg_covar=1e-4, random_state=0).fit(Z)
    assert est.score_ == pytest.approx(_leep(gmm.predict_proba(Z), y, 2), rel=1e-10)


def test_nleep_caps_components_at_one_per_five_samples():
    X = np.random.default_rng(0).normal(size=(8, 3))
    with pytest.warns(SaturationWarning, match="memorise"):
        est = NLEEP(random_state=0).fit(X, [0, 1] * 4)  # 5 * 2 = 10 > 8 samples
    assert est.n_components_ == 2  # max(n_classes, 8 // 5)


def test_nleep_does_not_saturate_when_components_reach_the_samples():
    # The case: 5 x 15 classes = 75 components on 74 samples. Before, the mixture
    # put one component per sample and N-LEEP was 0.0 for ANY features (good or noise).
    rng = np.random.default_rng(0)
    y = np.arange(74) % 15
    noise = rng.normal(size=(74, 20))
    good = noise + 4.0 * np.eye(15, 20)[y]
    with pytest.warns(SaturationWarning, match="using 15"):
        est = NLEEP(variance=1.0, random_state=0).fit(noise, y)
    assert est.n_components_ == 15
    assert est.score_ < -0.5
    with pytest.warns(SaturationWarning):
        assert NLEEP(variance=1.0, random_state=0).fit(good, y).score_ > est.score_ + 0.3


@pytest.mark.parametrize("Estimator", [LEEP, NCE])
def test_logits_input_is_softmax_of_a_copy(Estimator):
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=3.0, size=(60, 7))
    y = rng.integers(0, 4, size=60)
    before = logits.copy()
    from_logits = Estimator(source_output="logits").score(logits, y)
    np.testing.assert_array_equal(logits, before)
    assert from_logits == pytest.approx(Estimator().score(softmax(logits, axis=1), y), rel=1e-12)
    with pytest.raises(ValueError, match="source_output"):
        Estimator(source_output="raw").fit(logits, y)
    with pytest.raises(ValueError, match="softmax"):
        Estimator().fit(logits, y)
