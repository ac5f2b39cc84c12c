"""Closed-form baselines against the reference values (deterministic inputs, float64)."""

import numpy as np
import pytest

from skspider.transferability import GBC, LFC, SFDA, SaturationWarning, TransRate

from ._reference import make_cls

RTOL = 1e-8


A = make_cls(200, 16, 4)
B = make_cls(40, 64, 4)


def test_inputs_are_the_reference_ones():
    assert A[0].sum() == pytest.approx(1230.461545845387, rel=1e-12)
    np.testing.assert_allclose(A[0][0, :3], [2.043330878, 0.5434185473, 0.4001395396], rtol=1e-9)
    assert B[0].sum() == pytest.approx(987.363973671960, rel=1e-12)


@pytest.mark.parametrize(
    "task, eps, expected",
    [
        (A, 1e-4, 1.762207970091),
        (A, 1e-2, 1.712775570071),
        (B, 1e-4, 120.503964004666),
        (B, 1e-2, 54.218223322835),
    ],
)
def test_transrate(task, eps, expected):
    X, y, _ = task
    assert TransRate(eps=eps).fit(X, y).score_ == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(
    "gaussian, expected", [("spherical", -0.320670058794), ("diagonal", -0.288822052639)]
)
def test_gbc_without_pca(gaussian, expected):
    X, y, _ = A
    assert GBC(pca_dim=None, gaussian=gaussian).fit(X, y).score_ == pytest.approx(
        expected, rel=RTOL
    )


@pytest.mark.parametrize("gaussian, expected", [("spherical", -7.5e-8), ("diagonal", -1.6e-10)])
def test_gbc_without_pca_n_smaller_than_d(gaussian, expected):
    # The reference gives these to two significant digits only.
    X, y, _ = B
    assert GBC(pca_dim=None, gaussian=gaussian).fit(X, y).score_ == pytest.approx(
        expected, rel=0.05
    )


def test_sfda():
    X, y, _ = A
    assert SFDA().fit(X, y).score_ == pytest.approx(0.903546056454, rel=RTOL)


def test_sfda_saturates_with_a_warning_when_n_le_d():
    X, y, _ = B
    with pytest.warns(SaturationWarning, match="saturated"):
        score = SFDA().fit(X, y).score_
    assert score == pytest.approx(1.0, rel=RTOL)


def test_lfc():
    X, y, _ = A
    assert LFC().fit(X, y).score_ == pytest.approx(0.667177634439, rel=RTOL)


def test_lfc_matches_the_explicit_kernel_definition():
    # The closed form without N x N matrices equals the definition with them.
    X, y, _ = B
    Y = np.where(y[:, None] == y[None, :], 1.0, -1.0)
    K = X @ X.T
    Kc, Yc = K - K.mean(), Y - Y.mean()
    expected = (Kc * Yc).sum() / np.sqrt((Kc**2).sum() * (Yc**2).sum())
    assert LFC().fit(X, y).score_ == pytest.approx(expected, rel=1e-10)
