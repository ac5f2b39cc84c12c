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

# TaskTokenizer takes a sequence of Task (per-sample features AND labels per task) and refuses
# a bare 2-D array with a TypeError: an array is ambiguous (one task? one sample per task?).
# Every check that feeds it 2-D arrays therefore fails; their Task-based equivalents (fit
# returns self, idempotence, pickling, n_features_in_, input left unmodified, order
# invariance, NaN/inf and empty-input errors, use in a Pipeline) are in tests/tasks.
TASK_INPUT_CHECKS = {
    check: "TaskTokenizer takes a sequence of skspider.base.Task, not the 2-D arrays this check "
    "passes (a TypeError says so); the Task-based equivalent is tested in tests/tasks."
    for check in (
        "check_complex_data",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimator_sparse_tag",
        "check_estimators_dtypes",
        "check_estimators_empty_data_messages",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit1d",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_transformer_preserve_dtypes",
    )
}

# name -> dict of constructor parameters used in the common checks.
TEST_PARAMS: dict[str, dict] = {}

# name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "PriorRanker": RANKER_SCORE_CHECKS,
    "TaskTokenizer": TASK_INPUT_CHECKS,
}


def estimator_instances():
    """Yield one configured instance of every public estimator."""
    for name, Estimator in all_estimators():
        yield Estimator(**TEST_PARAMS.get(name, {}))


def expected_failed_checks(estimator) -> dict[str, str]:
    """The expected failures of ``estimator`` (for ``parametrize_with_checks``)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
