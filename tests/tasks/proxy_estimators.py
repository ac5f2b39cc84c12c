"""Small, real transferability estimators for the tests of proxy_ranks.

The package's own estimators (LogME, LEEP, ...) live in another subpackage; these stand-ins
make the tests independent of them while computing genuine scores.
"""

import numpy as np

from skspider.transferability import BaseTransferabilityEstimator


class FisherRatio(BaseTransferabilityEstimator):
    """Between-class over within-class variance of the features (higher = more separable)."""

    input_kind = "features"

    def _fit(self, X, y):
        classes = np.unique(y)
        means = np.array([X[y == c].mean(axis=0) for c in classes])
        within = sum(((X[y == c] - means[i]) ** 2).sum() for i, c in enumerate(classes))
        between = ((means - X.mean(axis=0)) ** 2).sum() * len(X) / len(classes)
        return between / max(within, 1e-12)


class NegConditionalEntropy(BaseTransferabilityEstimator):
    """-H(y | argmax source class): an NCE-like score on source probabilities."""

    input_kind = "probas"

    def _fit(self, X, y):
        z = X.argmax(axis=1)
        joint = np.zeros((X.shape[1], int(y.max()) + 1))
        np.add.at(joint, (z, y), 1.0)
        joint /= joint.sum()
        pz = joint.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = np.where(joint > 0, joint * np.log(joint / pz), 0.0)
        return cond.sum()


class RelativeSeparation(BaseTransferabilityEstimator):
    """Set-level: each PTM's Fisher ratio divided by the mean over the PTMs scored together."""

    input_kind = "features"
    set_level = True

    def _fit(self, X, y):
        return FisherRatio()._fit(X, y)

    def score_models(self, Xs, y):
        raw = np.array([FisherRatio().score(X, y) for X in Xs])
        return raw / raw.mean()


class Fragile(BaseTransferabilityEstimator):
    """Fails on features with fewer than 3 columns (tests error_score)."""

    def _fit(self, X, y):
        if X.shape[1] < 3:
            raise ValueError("needs at least 3 features")
        return float(X.shape[1])
