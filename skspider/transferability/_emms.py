"""EMMS: efficient multi-task model selector, by regression on label embeddings."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from scipy import linalg

from .._sklearn_compat import Interval
from ._base import BaseTransferabilityEstimator

__all__ = ["EMMS"]

# Added to standard deviations before dividing, as the authors do: constant columns become 0.
_STD_EPS = 1e-8


def _standardise(A: np.ndarray) -> np.ndarray:
    return (A - A.mean(axis=0)) / (A.std(axis=0) + _STD_EPS)


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection on the probability simplex (sparsemax)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    k = np.arange(1, len(v) + 1)
    rho = k[u * k > css - 1.0][-1]
    return np.maximum(v - (css[rho - 1] - 1.0) / rho, 0.0)


class EMMS(BaseTransferabilityEstimator):
    """EMMS: how well a linear map of the features regresses the label embeddings
    (Meng et al., 2023).

    The paper embeds each label with ``K`` foundation models (CLIP, BERT, GPT-2 text
    encoders), and fits ``X w ~ sum_k t_k Z_k`` by alternating least squares on ``w`` and
    on the simplex weights ``t`` of the ``K`` embeddings; the score is minus the residual.
    Features and embeddings are standardised per column (``/(std + 1e-8)``).

    No text encoder is shipped here, so the label embeddings are data passed to `fit`
    (``fit(X, y, label_embeddings=E)``; zoo-scoring takes them from each task's
    ``Task.side_data["label_embeddings"]``, as they embed that task's classes): an
    ``(n_classes, e)`` matrix (one row per class, in the order of ``classes_``, i.e. sorted
    labels), an ``(n_classes, e, K)`` array, or a list of ``K`` ``(n_classes, e)`` matrices.
    None (default) uses one-hot labels (``K = 1``; the score is then the least-squares fit of
    the standardised one-hot labels, a LogME-like linear probe). Regression targets
    ``(n_samples, n_targets)`` are used directly as one embedding.

    Score: ``-||X w - Z t||_F^2 / (N e)``, the mean squared residual per sample and embedding
    dimension, higher = better. (The authors' code divides by ``N`` and multiplies by ``e``:
    their value is ours times ``e^2``; the ranking of PTMs on a task is the same.) It is 0
    when the features fit the embeddings exactly, always the case when ``N <= D``.

    Parameters
    ----------
    max_iter : int, default=1
        Alternating rounds (``w`` then ``t``); the authors' code runs one. Irrelevant when
        ``K = 1``.

    Attributes
    ----------
    score_ : float
        Minus the mean squared residual, at most 0, higher = better.
    embedding_weights_ : ndarray of shape (K,)
        The simplex weights ``t`` of the embeddings.
    classes_ : ndarray of shape (n_classes,)
        The class labels (classification).
    n_features_in_ : int
        Number of features.

    See Also
    --------
    PACTranGaussian : A regularised linear probe with a PAC-Bayes bound.

    References
    ----------
    .. [1] F. Meng, W. Shao, Z. Peng, C. Jiang, K. Zhang, Y. Qiao, P. Luo, "Foundation Model
       is Efficient Multimodal Multitask Model Selector", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import EMMS
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 8))
    >>> X[np.arange(90), y] += 3.0
    >>> emb = rng.normal(size=(3, 16))  # e.g. text embeddings of the 3 class names
    >>> bool(EMMS().fit(X, y, label_embeddings=emb).score_ > EMMS().fit(X[:, 3:], y).score_)
    True
    """

    input_kind = "features"
    supports_regression = True
    _side_inputs = ("label_embeddings",)
    _parameter_constraints: dict = {
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, max_iter: int = 1):
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, *, label_embeddings: Any = None) -> EMMS:
        """Compute the EMMS transferability of ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The PTM's features of the target samples.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels, or regression targets (then used as the one embedding).
        label_embeddings : array-like or list of array-like, default=None
            Embeddings of the classes: ``(n_classes, e)``, ``(n_classes, e, K)`` or a list
            of ``K`` ``(n_classes, e)`` matrices, rows in the order of ``classes_``. None:
            one-hot labels. Ignored for regression targets.

        Returns
        -------
        self : EMMS
            With ``score_`` set.
        """
        return super().fit(X, y, label_embeddings=label_embeddings)

    def _embeddings(self, y: np.ndarray, E: Any) -> np.ndarray:
        """``(n_samples, e, K)`` target embeddings of the samples."""
        if y.ndim == 2:  # regression targets
            return y[:, :, None]
        n_classes = len(self.classes_)
        if E is None:
            E = np.eye(n_classes)
        if isinstance(E, (list, tuple)) and E and np.ndim(E[0]) == 2:
            shapes = {np.shape(e) for e in E}
            if len(shapes) != 1:
                raise ValueError(
                    f"label_embeddings: the {len(E)} matrices must share one shape; got "
                    f"{sorted(shapes)}."
                )
            E = np.stack([np.asarray(e, dtype=np.float64) for e in E], axis=2)
        E = np.asarray(E, dtype=np.float64)
        if E.ndim == 2:
            E = E[:, :, None]
        if E.ndim != 3 or E.shape[0] != n_classes:
            raise ValueError(
                "label_embeddings must have one row per class, shape (n_classes, e) or "
                f"(n_classes, e, K) with n_classes={n_classes}; got shape {E.shape}."
            )
        if not np.isfinite(E).all():
            raise ValueError("label_embeddings contains NaN or infinity.")
        return E[y]

    def _fit(self, X: np.ndarray, y: np.ndarray, label_embeddings: Any = None) -> float:
        Z = self._embeddings(y, label_embeddings)
        n, e, k = Z.shape
        # New arrays (never standardise in place: Z may be a view of the user's targets).
        Z = np.stack([_standardise(Z[:, :, i]) for i in range(k)], axis=2)
        Xs = _standardise(X)
        t = np.full(k, 1.0 / k)
        target = Z @ t
        for _ in range(self.max_iter):
            w = linalg.lstsq(Xs, target, lapack_driver="gelsy", check_finite=False)[0]
            fitted = Xs @ w
            if k > 1:
                t = linalg.lstsq(Z.reshape(n * e, k), fitted.ravel(), check_finite=False)[0]
                t = _project_simplex(t)
                target = Z @ t
        self.embedding_weights_ = t
        return -((fitted - target) ** 2).sum() / (n * e)
