"""Helpers of the package's own tests (private, as scikit-learn's sklearn.utils._test_common)."""

#: scikit-learn's estimator checks that need no 2-D array: the API checks that run on
#: estimators whose ``X`` is a sequence of `~skspider.base.Task` (their tags say
#: ``two_d_array=False``, so scikit-learn's common checks skip them whole).
ARRAY_FREE_API_CHECKS = (
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_mixin_order",
)
