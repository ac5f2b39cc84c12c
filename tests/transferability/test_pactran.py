import numpy as np
import pytest
from scipy.special import softmax

from skspider.transferability import PACTranDirichlet, PACTranGamma, PACTranGaussian


def _probas(seed=0, strength=3.0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], 20)
    logits = rng.normal(size=(60, 5)) + strength * np.eye(5)[y]
    return softmax(logits, axis=1), y


@pytest.mark.parametrize("Est", [PACTranDirichlet, PACTranGamma])
def test_probability_variants_reject_logits(Est):
    P, y = _probas()
    with pytest.raises(ValueError, match="softmax"):
        Est().fit(np.log(P), y)


@pytest.mark.parametrize("Est", [PACTranDirichlet, PACTranGamma])
def test_more_informative_source_scores_higher(Est):
    scores = [Est().fit(*_probas(strength=s)).score_ for s in (0.0, 1.0, 3.0)]
    assert scores[0] < scores[1] < scores[2]


@pytest.mark.parametrize("Est", [PACTranDirichlet, PACTranGamma])
def test_more_iterations_move_the_bound(Est):
    P, y = _probas()
    one = Est(max_iter=1).fit(P, y).score_
    many = Est(max_iter=10).fit(P, y).score_
    assert np.isfinite(one) and np.isfinite(many) and one != many


def test_declared_input_kinds():
    assert PACTranDirichlet.input_kind == PACTranGamma.input_kind == "probas"
    assert PACTranGaussian.input_kind == "features"


def test_gaussian_fits_a_linear_classifier_deterministically():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    X = rng.normal(size=(60, 4)) + 2.0 * np.eye(4)[y]
    a = PACTranGaussian(random_state=3).fit(X, y)
    b = PACTranGaussian(random_state=3).fit(X, y)
    assert a.score_ == b.score_
    assert a.coef_.shape == (4, 3) and a.intercept_.shape == (3,)
    assert 0 < a.n_iter_ <= 100
    # The fitted classifier separates the training classes.
    Xc = X - X.mean(axis=0)  # the classifier works on centred features
    assert np.mean(np.argmax(Xc @ a.coef_ + a.intercept_, axis=1) == y) > 0.85


def test_gaussian_s2_factor_default_is_100_lda_factor():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 15)
    X = rng.normal(size=(30, 3)) + y[:, None]
    default = PACTranGaussian(lda_factor=0.1, random_state=0).fit(X, y).score_
    explicit = PACTranGaussian(lda_factor=0.1, s2_factor=10.0, random_state=0).fit(X, y).score_
    assert default == explicit
