"""Instances and expected failures for the common tests (tests/test_common.py).

Each estimator gets small, fast hyper-parameters here (``TEST_PARAMS``) and its expected
common-check failures, each with the reason (``EXPECTED_FAILED_CHECKS``). Add an entry when an
estimator lands; a check listed here that starts to pass is reported by pytest as XPASS.
"""

from __future__ import annotations

import numpy as np

from skspider.transferability import OTCE
from skspider.utils import all_estimators

# Transferability estimators pass every common check: on a fitted estimator ``score(X, y)``
# checks n_features_in_ and accepts only the data it was fitted on (docs/conventions.rst).
# NCTI is set-level (a sequence of per-PTM arrays): its tags say it takes no 2-D array alone,
# so the array-based checks are skipped; tests/transferability/test_ncti.py tests its API.

# LEEP and NCE take source-class probabilities (non-negative rows summing to 1) and reject
# anything else by design. The common checks feed random features, so they run these
# estimators with ``source_output="logits"``: the same code path after a row-wise softmax.
# The default (probabilities) path is tested on real probabilities in
# tests/transferability/test_leep.py and test_properties.py.

# name -> dict of constructor parameters used in the common checks.
TEST_PARAMS: dict[str, dict] = {
    # Few components and EM steps keep the checks fast; the method is unchanged.
    "NLEEP": {"n_components_per_class": 2, "max_iter": 20, "random_state": 0},
    "LEEP": {"source_output": "logits"},
    "NCE": {"source_output": "logits"},
    "PACTranDirichlet": {"source_output": "logits"},
    "PACTranGamma": {"source_output": "logits"},
    # PCA to 4 dimensions: the checks' X has as few as 1 to 10 features.
    "GBC": {"pca_dim": 4},
    "PARC": {"pca_dim": 4},
    "PACTranGaussian": {"max_iter": 20, "random_state": 0},
    "SpiderRanker": {"d_model": 8, "max_iter": 2, "random_state": 0},
    # metadata is required (keyed by model name); the checks' Y names its models 0, 1, ...
    "MetadataRanker": {"metadata": {m: float(m % 3) for m in range(10)}},
}


class _OTCEWithSourceSet(OTCE):
    """`OTCE` fed a fixed synthetic source set, for the common checks only.

    OTCE's source set is data passed to ``fit`` (the PTM's features of labelled source
    samples, as wide as ``X``); the common checks call ``fit(X, y)`` alone and cannot pass
    it. This adapter supplies one when none is given (12 seeded Gaussian samples of 3
    classes, as wide as a 2-D ``X``; a 1-D ``X`` gets none, so OTCE's own validation
    rejects it), so every check exercises OTCE's own validation, fitting, cloning and
    pickling. The source set's routing from a Task is tested in tests/transferability.
    """

    def fit(self, X, y, *, source_features=None, source_labels=None):
        if source_features is None and source_labels is None and len(np.shape(X)) == 2:
            rng = np.random.default_rng(0)
            source_features = rng.normal(size=(12, np.shape(X)[1]))
            source_labels = np.arange(12) % 3
        return super().fit(X, y, source_features=source_features, source_labels=source_labels)


# name -> {check name: reason}. OTCE runs as `_OTCEWithSourceSet` (above).
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def _params(name: str) -> dict:
    if name in ("RerankTransformer", "EstimatorReranker"):
        # Meta-estimators: their inner ranker gets the small parameters too. (EstimatorReranker
        # takes tasks only: its tags skip the array-based checks; tests/spider runs the API
        # ones.)
        from skspider.spider import SpiderRanker

        return {"ranker": SpiderRanker(**TEST_PARAMS["SpiderRanker"]), "k": 2}
    return TEST_PARAMS.get(name, {})


def estimator_instances():
    """Yield one configured instance of every public estimator."""
    for name, Estimator in all_estimators():
        if Estimator is OTCE:
            Estimator = _OTCEWithSourceSet
        yield Estimator(**_params(name))


def expected_failed_checks(estimator) -> dict[str, str]:
    """The expected failures of ``estimator`` (for ``parametrize_with_checks``)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
