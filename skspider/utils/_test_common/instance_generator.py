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

# name -> dict of constructor parameters used in the common checks.
TEST_PARAMS: dict[str, dict] = {
    "SpiderRanker": {"d_model": 8, "max_epochs": 2, "random_state": 0},
}

# name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "PriorRanker": RANKER_SCORE_CHECKS,
    "SpiderRanker": RANKER_SCORE_CHECKS,
    "RerankTransformer": RANKER_SCORE_CHECKS,
}


def _params(name: str) -> dict:
    if name == "RerankTransformer":
        # A meta-estimator: its inner ranker gets the small parameters too.
        from skspider.spider import SpiderRanker

        return {"ranker": SpiderRanker(**TEST_PARAMS["SpiderRanker"]), "k": 2}
    return TEST_PARAMS.get(name, {})


def estimator_instances():
    """Yield one configured instance of every public estimator."""
    for name, Estimator in all_estimators():
        yield Estimator(**_params(name))


def expected_failed_checks(estimator) -> dict[str, str]:
    """The expected failures of ``estimator`` (for ``parametrize_with_checks``)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
