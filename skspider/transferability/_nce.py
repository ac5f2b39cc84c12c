"""NCE: negative conditional entropy of the target labels given source predictions."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from .._sklearn_compat import StrOptions
from ._base import BaseTransferabilityEstimator

__all__ = ["NCE"]


class NCE(BaseTransferabilityEstimator):
    """NCE: negative conditional entropy of target labels given hard source predictions.

    Each target sample gets the source class the PTM's head predicts (the argmax of its
    source probabilities; ties go to the first class). NCE is ``-H(Y | Z)`` under the
    empirical joint distribution of target labels ``Y`` and predicted source classes
    ``Z``: at most 0, and 0 when the source prediction determines the label. Higher =
    better (the paper's sign).

    Parameters
    ----------
    source_output : {"probas", "logits"}, default="probas"
        What ``X`` holds: the source head's probabilities (non-negative rows summing to 1,
        within 1e-3), or its logits, turned into probabilities by a row-wise softmax.

    Attributes
    ----------
    score_ : float
        ``-H(Y | Z)`` in nats, in ``[-log C, 0]``; higher = better.
    classes_ : ndarray of shape (n_classes,)
        The original class labels (remapped to ``0 .. C-1`` in sorted order).
    n_features_in_ : int
        Number of source classes (columns of ``X``).

    See Also
    --------
    LEEP : Uses the soft source probabilities instead of the argmax.

    Notes
    -----
    ``X`` holds probabilities (non-negative rows summing to 1, within 1e-3), as for
    `LEEP`, so a ranker can route the same array to both; only their argmax is used.

    References
    ----------
    .. [1] A. T. Tran, C. V. Nguyen, T. Hassner. "Transferability and Hardness of
       Supervised Classification Tasks". ICCV 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import NCE
    >>> P = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    >>> NCE().score(P, np.array([0, 0, 1, 1]))  # the source head separates the labels
    0.0
    >>> round(NCE().score(P, np.array([0, 1, 0, 1])), 4)  # it says nothing about them
    -0.6931
    """

    input_kind: ClassVar[str] = "probas"
    _parameter_constraints: dict = {"source_output": [StrOptions({"probas", "logits"})]}

    def __init__(self, *, source_output: Literal["probas", "logits"] = "probas"):
        self.source_output = source_output

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        n = X.shape[0]
        z = np.argmax(X, axis=1)
        n_source = X.shape[1]
        counts = np.bincount(y * n_source + z, minlength=len(self.classes_) * n_source)
        joint = counts.reshape(len(self.classes_), n_source) / n
        marginal = joint.sum(axis=0)
        nz = joint > 0
        conditional = joint[nz] / np.broadcast_to(marginal, joint.shape)[nz]
        # + 0.0 turns a -0.0 (perfectly predictive source head) into 0.0.
        return float(np.sum(joint[nz] * np.log(conditional))) + 0.0
