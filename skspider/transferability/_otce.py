"""OTCE: optimal-transport conditional entropy between source and target labels."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from scipy import optimize, sparse
from scipy.spatial.distance import cdist
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array

from ._base import BaseTransferabilityEstimator
from ._linalg import one_hot

__all__ = ["OTCE"]


def exact_transport(cost: np.ndarray) -> np.ndarray:
    """Optimal coupling between uniform distributions on the rows and the columns of ``cost``.

    Equal sizes: an optimal assignment (a vertex of the Birkhoff polytope is optimal), by
    `scipy.optimize.linear_sum_assignment`. Otherwise the transport linear program, solved
    exactly by HiGHS. Either is the exact solution the authors get from POT's ``ot.emd``.
    """
    n, m = cost.shape
    if n == m:
        rows, cols = optimize.linear_sum_assignment(cost)
        P = np.zeros((n, m))
        P[rows, cols] = 1.0 / n
        return P
    # Marginal constraints on the row-major flattened coupling; the last one is implied.
    row_sums = sparse.kron(sparse.eye(n), np.ones((1, m)), format="csr")
    col_sums = sparse.kron(np.ones((1, n)), sparse.eye(m), format="csr")[:-1]
    A = sparse.vstack([row_sums, col_sums]).tocsr()
    b = np.concatenate([np.full(n, 1.0 / n), np.full(m - 1, 1.0 / m)])
    res = optimize.linprog(cost.ravel(), A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - the transport polytope is never empty
        raise RuntimeError(f"OTCE: the optimal transport problem failed ({res.message}).")
    return np.maximum(res.x.reshape(n, m), 0.0)


def _is_per_model(value: Any, ndim: int) -> bool:
    """A list/tuple whose items are ``ndim``-D arrays: one source set per PTM."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(np.ndim(v) == ndim for v in value)
    )


class OTCE(BaseTransferabilityEstimator):
    """OTCE: optimal-transport based conditional entropy (Tan et al., 2021).

    Needs the PTM's features of labelled **source** samples (e.g. a few ImageNet images per
    class, embedded by the same PTM), given in the constructor since ``fit(X, y)`` only sees
    the target task. The source and target features are coupled by exact optimal transport
    (squared Euclidean cost, uniform weights); the coupling gives a joint distribution of
    source and target labels, hence the conditional entropy ``CE = H(Y_t | Y_s)``, and the
    transport cost is the Wasserstein distance ``W`` (domain difference). The score::

        score_ = -(domain_weight * W + CE)

    Higher = better (both terms are "lower = more transferable" in the paper).

    Variant: the paper combines ``lambda_1 W + lambda_2 CE + b`` with weights fitted per
    setting on auxiliary tasks of known transfer accuracy; there are no universal weights to
    reuse. ``domain_weight=1`` (default) is the unit-weight sum of the Model Spider authors'
    released code, which produced the paper's OTCE column; ``domain_weight=0`` is the
    auxiliary-free OT-based NCE (``-CE``) that the OTCE authors recommend in their code
    (F-OTCE in their later work). Both terms depend on the feature scale only through ``W``.

    Inside a `TransferabilityRanker`, each PTM has its own source features: pass a list with
    one array per PTM, in the order the ranker scores them (its model order), and
    ``score_models`` pairs them up; ``source_labels`` may be one array shared by every PTM
    (the usual case: the same source images go through each PTM) or a list as well.

    Parameters
    ----------
    source_features : array-like of shape (n_source, n_features), or list of them
        The PTM's features of the source samples; a list holds one array per PTM for
        `score_models`. Required.
    source_labels : array-like of shape (n_source,), or list of them
        Labels of the source samples (any hashable labels). Required.
    domain_weight : float, default=1.0
        Weight of the Wasserstein distance next to the conditional entropy.

    Attributes
    ----------
    score_ : float
        The negated OTCE, higher = better.
    wasserstein_ : float
        Transport cost of the optimal coupling (squared Euclidean ground cost).
    conditional_entropy_ : float
        ``H(Y_t | Y_s)`` under the coupling, in nats.
    classes_ : ndarray of shape (n_classes,)
        The target class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    TransRate, LFC : Estimators needing target data only.

    Notes
    -----
    The transport is solved exactly. With as many source as target samples it is an
    assignment problem (`scipy.optimize.linear_sum_assignment`, seconds at a few thousand
    samples); otherwise it is a linear program in ``n_target * n_source`` variables, whose
    time and memory grow quickly beyond about a thousand samples: subsample the source set
    to the target's size for large tasks.

    References
    ----------
    .. [1] Y. Tan, Y. Li, S.-L. Huang, "OTCE: A Transferability Metric for Cross-Domain
       Cross-Task Representations", CVPR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import OTCE
    >>> rng = np.random.default_rng(0)
    >>> ys = np.repeat([0, 1, 2], 20)
    >>> Xs = rng.normal(size=(60, 4)) + 3.0 * ys[:, None]
    >>> yt = np.repeat([0, 1], 30)
    >>> Xt = rng.normal(size=(60, 4)) + 3.0 * yt[:, None]  # target classes match source 0, 1
    >>> aligned = OTCE(source_features=Xs, source_labels=ys).fit(Xt, yt)
    >>> shuffled = OTCE(source_features=Xs, source_labels=ys).fit(Xt, rng.permutation(yt))
    >>> bool(aligned.score_ > shuffled.score_), round(aligned.conditional_entropy_, 3)
    (True, 0.231)
    """

    input_kind = "features"
    _parameter_constraints: dict = {
        "source_features": ["array-like", None],
        "source_labels": ["array-like", None],
        "domain_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        source_features: Any = None,
        source_labels: Any = None,
        domain_weight: float = 1.0,
    ):
        self.source_features = source_features
        self.source_labels = source_labels
        self.domain_weight = domain_weight

    def _source(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        name = type(self).__name__
        if self.source_features is None or self.source_labels is None:
            missing = [p for p in ("source_features", "source_labels") if getattr(self, p) is None]
            raise ValueError(
                f"{name} needs the PTM's features of labelled source samples: pass "
                f"{' and '.join(missing)} to the constructor, e.g. "
                "OTCE(source_features=Fs, source_labels=ys)."
            )
        for param, ndim in (("source_features", 2), ("source_labels", 1)):
            if _is_per_model(getattr(self, param), ndim):
                raise ValueError(
                    f"{name}.fit scores one PTM, but {param} is a list of "
                    f"{len(getattr(self, param))} per-PTM arrays; use "
                    "score_models(Xs, y) to score them together, or pass one array."
                )
        Fs = check_array(self.source_features, dtype=np.float64, input_name="source_features")
        ys = np.asarray(self.source_labels)
        if ys.ndim != 1 or len(ys) != len(Fs):
            raise ValueError(
                f"source_labels must be 1-D with one label per row of source_features "
                f"({len(Fs)}); got shape {ys.shape}."
            )
        if Fs.shape[1] != n_features:
            raise ValueError(
                f"source_features has {Fs.shape[1]} features but X has {n_features}: both "
                "must come from the same PTM."
            )
        return Fs, ys

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        Fs, ys = self._source(X.shape[1])
        _, ys = np.unique(ys, return_inverse=True)
        cost = cdist(Fs, X, metric="sqeuclidean")
        P = exact_transport(cost)
        self.wasserstein_ = float((P * cost).sum())
        # Joint law of (source label, target label) under the coupling: S^T P T.
        joint = one_hot(ys, ys.max() + 1).T @ P @ one_hot(y, len(self.classes_))
        marginal = joint.sum(axis=1, keepdims=True)
        nz = joint > 0
        ratio = joint[nz] / np.broadcast_to(marginal, joint.shape)[nz]
        self.conditional_entropy_ = float(-(joint[nz] * np.log(ratio)).sum())
        return -(self.domain_weight * self.wasserstein_ + self.conditional_entropy_)

    def score_models(self, Xs: Sequence[Any], y: Any) -> np.ndarray:
        """Scores of several PTMs on one task, each with its own source features.

        Parameters
        ----------
        Xs : sequence of array-like of shape (n_samples, n_features_i)
            One target feature array per PTM.
        y : array-like of shape (n_samples,)
            Target labels.

        Returns
        -------
        scores : ndarray of shape (len(Xs),)
            Higher = better.
        """
        per_model = {}
        for param, ndim in (("source_features", 2), ("source_labels", 1)):
            value = getattr(self, param)
            if _is_per_model(value, ndim):
                if len(value) != len(Xs):
                    raise ValueError(
                        f"{param} holds {len(value)} per-PTM arrays but {len(Xs)} PTMs are "
                        "scored; give one per PTM, in the same order."
                    )
                per_model[param] = value
        scores = []
        for i, X in enumerate(Xs):
            params = {p: v[i] for p, v in per_model.items()}
            est = type(self)(**{**self.get_params(deep=False), **params})
            scores.append(est.fit(X, y).score_)
        return np.asarray(scores, dtype=np.float64)
