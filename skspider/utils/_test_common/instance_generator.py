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
TEST_PARAMS: dict[str, dict] = {
    # Few components and EM steps keep the checks fast; the method is unchanged.
    "NLEEP": {"n_components_per_class": 2, "max_iter": 20, "random_state": 0},
    "LEEP": {"source_output": "logits"},
    "NCE": {"source_output": "logits"},
    "PACTranDirichlet": {"source_output": "logits"},
    "PACTranGamma": {"source_output": "logits"},
    # PCA to 4 dimensions: the checks' X has as few as 1 to 10 features.
    "NCTI": {"pca_dim": 4},
    "GBC": {"pca_dim": 4},
    "PARC": {"pca_dim": 4},
    "PACTranGaussian": {"max_iter": 20, "random_state": 0},
    "SpiderRanker": {"d_model": 8, "max_iter": 2, "random_state": 0},
    # metadata is required (keyed by model name); the checks' Y names its models 0, 1, ...
    "MetadataRanker": {"metadata": {m: float(m % 3) for m in range(10)}},
}

# OTCE needs the PTM's features of source samples, of the same width as X; the common checks
# fit on X of several widths (1 to 10 features), which no one fixed source set matches.
_OTCE_REASON = (
    "needs source features of the same width as X (constructor argument); the common checks "
    "fit X of varying widths, and OTCE raises a clear ValueError naming the mismatch."
)
OTCE_CHECKS = {
    **{
        check: _OTCE_REASON
        for check in (
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
    },
    **TRANSFERABILITY_SCORE_CHECKS,
}

# name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "PriorRanker": RANKER_SCORE_CHECKS,
    "MetadataRanker": RANKER_SCORE_CHECKS,
    "NearestTasksRanker": RANKER_SCORE_CHECKS,
    "RidgeRanker": RANKER_SCORE_CHECKS,
    "OTCE": OTCE_CHECKS,
    **{
        name: TRANSFERABILITY_SCORE_CHECKS
        for name in (
            "EMMS",
            "GBC",
            "HScore",
            "LEEP",
            "LFC",
            "LogME",
            "NCE",
            "NCTI",
            "NLEEP",
            "PACTranDirichlet",
            "PACTranGamma",
            "PACTranGaussian",
            "PARC",
            "SFDA",
            "TransRate",
        )
    },
    "TaskTokenizer": TASK_INPUT_CHECKS,
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
