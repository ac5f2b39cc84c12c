import numpy as np
import pytest

from skspider.transferability import PARC


def test_bounded_and_needs_two_dimensions():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 15)
    X = rng.normal(size=(45, 6)) + 2.0 * np.eye(6)[y]
    assert -1 <= PARC().fit(X, y).score_ <= 1
    assert -1 <= PARC(pca_dim=None).fit(X, y).score_ <= 1
    with pytest.raises(ValueError, match="n_features=1"):
        PARC().fit(X[:, :1], y)
    with pytest.raises(ValueError, match="pca_dim"):
        PARC(pca_dim=1).fit(X, y)


def test_matches_the_explicit_definition():
    # Spearman correlation of 1 - corrcoef of standardised features vs of one-hot labels.
    from scipy import stats

    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 10)
    X = rng.normal(size=(30, 5)) + np.eye(5)[y]
    Z = (X - X.mean(0)) / X.std(0)
    iu = np.triu_indices(30, 1)
    expected = stats.spearmanr(
        1 - np.corrcoef(Z)[iu], np.round(1 - np.corrcoef(np.eye(3)[y])[iu], 12)
    ).statistic
    assert PARC(pca_dim=None).fit(X, y).score_ == pytest.approx(expected, rel=1e-10)


def test_reproducible_without_a_seed_and_uses_the_exact_pca():
    # Before: with random_state=None, scikit-learn's "auto" picked its randomized solver on
    # inputs this large (max(N, D) > 500, 32 components < 80% of min(N, D)), and two calls
    # gave different scores.
    from scipy import stats

    rng = np.random.default_rng(0)
    y = np.arange(600) % 4
    X = rng.normal(size=(600, 100)) @ rng.normal(size=(100, 100)) + np.eye(4, 100)[y]
    first, second = PARC().fit(X, y).score_, PARC().fit(X, y).score_
    assert first == second
    # The exact projection on the first 32 principal directions, standardised.
    Xc = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    # scikit-learn's sign convention (the largest entry of each direction positive): row
    # correlations depend on the signs of the components, as in the authors' code.
    vt = vt[:32] * np.sign(vt[np.arange(32), np.abs(vt[:32]).argmax(axis=1)])[:, None]
    Z = Xc @ vt.T
    Z = (Z - Z.mean(0)) / Z.std(0)
    iu = np.triu_indices(600, 1)
    expected = stats.spearmanr(1 - np.corrcoef(Z)[iu], (y[iu[0]] != y[iu[1]]) * 4 / 3).statistic
    assert first == pytest.approx(expected, rel=1e-8)


def test_large_tasks_are_subsampled_by_class():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [300, 200, 100])
    X = rng.normal(size=(600, 6)) + 2.0 * y[:, None]
    full = PARC(max_samples=None).fit(X, y).score_
    sub = PARC(max_samples=120, random_state=0).fit(X, y).score_
    assert sub == PARC(max_samples=120, random_state=0).fit(X, y).score_  # seeded
    assert sub != PARC(max_samples=120, random_state=1).fit(X, y).score_
    assert abs(sub - full) < 0.05  # the same separation, on a fifth of the samples
    # Below max_samples nothing is drawn: the score is the full one whatever the seed.
    assert PARC(max_samples=600, random_state=3).fit(X, y).score_ == full
    # By default the subsample is the same on every call (every PTM of a task is scored on
    # the same samples).
    assert PARC(max_samples=120).fit(X, y).score_ == PARC(max_samples=120).fit(X, y).score_


def test_subsample_keeps_every_class():
    from skspider.transferability import PARC as Parc

    y = np.repeat([0, 1], [999, 1])
    X = np.random.default_rng(1).normal(size=(1000, 4))
    Parc(max_samples=50, random_state=0).fit(X, y)  # the rare class survives: no error
