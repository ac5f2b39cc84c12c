"""Instances and expected failures for the common tests (tests/test_common.py).

Each estimator gets small, fast hyper-parameters here (``TEST_PARAMS``) and its expected
common-check failures, each with the reason (``EXPECTED_FAILED_CHECKS``). Add an entry when an
estimator lands; a check listed here that starts to pass is reported by pytest as XPASS.
"""

from __future__ import annotations

from skspider.utils import all_estimators

# Rankers take Y of shape (n_tasks, n_models); the common checks hand them y of shape (n, 1):
# a zoo of ONE model. Fitting and predicting work, but tau_w over one model is undefined and
# the metrics refuse it with a clear error, so every check that calls ``score`` fails.
RANKER_SCORE_CHECKS = {
    check: "score() is tau_w over models, undefined for the 1-model zoo (y of shape (n, 1)) "
    "that the common checks give; the metric raises a clear ValueError instead."
    for check in ("check_fit_score_takes_y", "check_pipeline_consistency")
}

# Transferability estimators: ``score(X, y)`` is the transferability of NEW data, computed
# from scratch (``clone(self).fit(X, y).score_``); it does not evaluate the fitted state, so
# any feature width is valid there and no n_features_in_ consistency check applies.
TRANSFERABILITY_SCORE_CHECKS = {
    "check_n_features_in_after_fitting": "score(X, y) rescores (X, y) from scratch (a clone "
    "is fitted), so X may have any width; it does not evaluate the fitted estimator."
}

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
}

# name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "PriorRanker": RANKER_SCORE_CHECKS,
    "HScore": TRANSFERABILITY_SCORE_CHECKS,
    "LogME": TRANSFERABILITY_SCORE_CHECKS,
    "NLEEP": TRANSFERABILITY_SCORE_CHECKS,
    "LEEP": TRANSFERABILITY_SCORE_CHECKS,
    "NCE": TRANSFERABILITY_SCORE_CHECKS,
}


def estimator_instances():
    """Yield one configured instance of every public estimator."""
    for name, Estimator in all_estimators():
        yield Estimator(**TEST_PARAMS.get(name, {}))


def expected_failed_checks(estimator) -> dict[str, str]:
    """The expected failures of ``estimator`` (for ``parametrize_with_checks``)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
