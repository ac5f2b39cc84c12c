"""TrainingCurveDisplay: the drawn curves are the ranker's recorded loss and validation."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skspider.plotting import TrainingCurveDisplay
from skspider.plotting._curves import _training_curves
from skspider.spider import RerankTransformer, SpiderRanker


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4))
    return X, np.c_[X[:, 0], -X[:, 0], X[:, 1]]


def test_curves_of_a_spider_ranker_with_early_stopping(data):
    X, Y = data
    ranker = SpiderRanker(d_model=8, max_iter=40, early_stopping=True, random_state=0)
    ranker.fit(X, Y)
    disp = TrainingCurveDisplay.from_estimator(ranker)
    np.testing.assert_allclose(disp.loss_line_.get_ydata(), ranker.loss_curve_)
    assert ranker.n_epochs_ > 1
    np.testing.assert_array_equal(disp.loss_line_.get_xdata(), np.arange(1, ranker.n_epochs_ + 1))
    np.testing.assert_allclose(disp.validation_line_.get_ydata(), ranker.validation_scores_)
    assert disp.validation_ax_ is not disp.ax_
    assert disp.best_line_.get_xdata()[0] == ranker.best_epoch_ + 1
    assert disp.ax_.get_xlabel() == "epoch"


def test_warm_start_validation_sits_on_the_last_fit(data):
    X, Y = data
    ranker = SpiderRanker(
        d_model=8,
        max_iter=24,
        early_stopping=True,
        warm_start=True,
        n_iter_no_change=10,
        random_state=0,
    )
    first = ranker.fit(X, Y).n_epochs_
    last = ranker.fit(X, Y).n_epochs_
    curves = _training_curves(ranker)
    assert curves["loss"].shape == (first + last,)
    np.testing.assert_array_equal(curves["validation_x"], first + np.arange(1, last + 1))
    assert curves["best"] == first + ranker.best_epoch_ + 1


def test_wrapped_rankers_are_looked_through(data):
    X, Y = data
    spider = SpiderRanker(d_model=8, max_iter=10, random_state=0)
    rerank = RerankTransformer(spider, k=1).fit(X, Y)
    disp = TrainingCurveDisplay.from_estimator(make_pipeline(rerank))
    np.testing.assert_allclose(disp.loss_line_.get_ydata(), rerank.ranker_.loss_curve_)
    last = rerank.ranker_.n_epochs_  # no early stopping: the last epoch is kept
    assert disp.validation_line_ is None and disp.best_line_.get_xdata()[0] == last


def test_unfitted_and_curveless_rankers_are_refused():
    from sklearn.exceptions import NotFittedError

    from skspider.dummy import PriorRanker

    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(SpiderRanker())
    prior = PriorRanker().fit(np.zeros((3, 1)), np.eye(3))
    with pytest.raises(TypeError, match="no training curve"):
        TrainingCurveDisplay.from_estimator(prior)


def test_validation_longer_than_loss_is_refused():
    with pytest.raises(ValueError, match="validation"):
        TrainingCurveDisplay([1.0, 0.5], validation_scores=[0.1, 0.2, 0.3]).plot()
