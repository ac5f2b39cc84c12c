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
TEST_PARAMS: dict[str, dict] = {}

# ---- baselines (issue 6): PACTran, OTCE, LFC, GBC, TransRate, SFDA, PARC, EMMS, NCTI ----
# score(X, y) is the transferability of (X, y) itself, computed by a fresh clone: it does not
# depend on a previous fit, so it accepts any number of features by design.
SCORE_IS_STATELESS = {
    "check_n_features_in_after_fitting": "score(X, y) scores (X, y) from scratch (a clone), "
    "so a different number of features than in fit is legal by design."
}
# Estimators on source-class probabilities reject rows that do not sum to 1 (they would be
# logits or garbage); the common checks' X (random positives, scaled blobs) never does, so
# every check that fits fails with the clear ValueError the base class raises.
_PROBA_REASON = (
    "takes source-class probabilities (rows summing to 1); the common checks' X is not, and "
    "the estimator raises a clear ValueError instead of silently renormalising."
)
_FITTING_CHECKS = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)
PROBA_INPUT_CHECKS = {
    **{check: _PROBA_REASON for check in _FITTING_CHECKS},
    **SCORE_IS_STATELESS,
}
# OTCE needs the PTM's features of source samples, of the same width as X; the common checks
# fit on X of several widths (1 to 10 features), which no one fixed source set matches.
_OTCE_REASON = (
    "needs source features of the same width as X (constructor argument); the common checks "
    "fit X of varying widths, and OTCE raises a clear ValueError naming the mismatch."
)
OTCE_CHECKS = {
    **{check: _OTCE_REASON for check in _FITTING_CHECKS},
    **SCORE_IS_STATELESS,
}
BASELINE_TEST_PARAMS: dict[str, dict] = {
    "NCTI": {"pca_dim": 4},
    "PACTranGaussian": {"max_iter": 20, "random_state": 0},
    "GBC": {"pca_dim": 4},
    "PARC": {"pca_dim": 4},
}
BASELINE_EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "EMMS": SCORE_IS_STATELESS,
    "GBC": SCORE_IS_STATELESS,
    "LFC": SCORE_IS_STATELESS,
    "NCTI": SCORE_IS_STATELESS,
    "OTCE": OTCE_CHECKS,
    "PACTranDirichlet": PROBA_INPUT_CHECKS,
    "PACTranGamma": PROBA_INPUT_CHECKS,
    "PACTranGaussian": SCORE_IS_STATELESS,
    "PARC": SCORE_IS_STATELESS,
    "SFDA": SCORE_IS_STATELESS,
    "TransRate": SCORE_IS_STATELESS,
}
TEST_PARAMS.update(BASELINE_TEST_PARAMS)
# ---- end of baselines ----

# name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "PriorRanker": RANKER_SCORE_CHECKS,
}
EXPECTED_FAILED_CHECKS.update(BASELINE_EXPECTED_FAILED_CHECKS)


def estimator_instances():
    """Yield one configured instance of every public estimator."""
    for name, Estimator in all_estimators():
        yield Estimator(**TEST_PARAMS.get(name, {}))


def expected_failed_checks(estimator) -> dict[str, str]:
    """The expected failures of ``estimator`` (for ``parametrize_with_checks``)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
