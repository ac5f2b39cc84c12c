"""Instances and expected failures for the common tests (tests/test_common.py).

Each estimator gets small, fast hyper-parameters here (``TEST_PARAMS``) and its expected
common-check failures, each with the reason (``EXPECTED_FAILED_CHECKS``). Add an entry when an
estimator lands; a check listed here that starts to pass is reported by pytest as XPASS.
"""

from __future__ import annotations

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
    "SpiderRanker": {"d_model": 8, "max_epochs": 2, "random_state": 0},
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
            "check_n_features_in_after_fitting",
            "check_pipeline_consistency",
            "check_positive_only_tag_during_fit",
            "check_readonly_memmap_input",
        )
    },
}

# name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "OTCE": OTCE_CHECKS,
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
