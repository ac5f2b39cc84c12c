"""scikit-learn's common checks over every public estimator found by discovery."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skspider.utils import all_estimators
from skspider.utils._test_common.instance_generator import (
    estimator_instances,
    expected_failed_checks,
)


def test_discovery_finds_estimators():
    names = {name for name, _ in all_estimators()}
    assert "PriorRanker" in names
    assert not any(name.startswith(("_", "Base")) for name in names)


def test_discovery_rejects_unknown_filter():
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators(type_filter="classifier")


@parametrize_with_checks(list(estimator_instances()), expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
