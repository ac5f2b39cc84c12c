"""The private scikit-learn names skspider relies on, imported in this module only.

scikit-learn gives no deprecation cycle for names that start with an underscore: any release
may move, rename or change them. Importing them here, and nowhere else, gives the project one
place to read and fix when a release does (``tests/test_sklearn_compat.py`` fails on any
other module of the repository that imports a private scikit-learn name, and checks the
behaviour the project relies on). Public scikit-learn APIs (`sklearn.base.clone`,
`sklearn.utils.validation.validate_data`, `sklearn.utils.validation.check_is_fitted`,
`sklearn.frozen.FrozenEstimator`, ...) are imported from scikit-learn directly.

Each name, where scikit-learn defines it, and why skspider uses it:

``Interval``, ``StrOptions``, ``HasMethods`` (``sklearn.utils._param_validation``)
    The constraints of every ``_parameter_constraints`` and ``@validate_params``, so that bad
    hyper-parameters and arguments fail as they do in scikit-learn.
``validate_params`` (``sklearn.utils._param_validation``)
    Checks the arguments of the public functions (``score_zoo``, ``weighted_tau``, ...).
``InvalidParameterError`` (``sklearn.utils._param_validation``)
    The error those checks raise (both a ``ValueError`` and a ``TypeError``); tests match it.
``fit_context`` (``sklearn.base._fit_context``)
    Decorates ``fit``: validates the hyper-parameters once and skips the nested validation,
    as scikit-learn's own estimators do.
``safe_indexing`` (``sklearn.utils._safe_indexing``)
    Takes rows of tasks given as a list, an array or a DataFrame (the held-out split of
    ``RerankTransformer``).

One private method is used without an import: ``BaseEstimator._validate_params()``, the check
of ``_parameter_constraints`` that ``fit_context`` runs, is called directly by the ``fit`` of
`~skspider.dummy.PriorRanker` and `~skspider.transferability.TransferabilityRanker` and by
`~skspider.transferability.NCTI.score_models` (a set-level method, not a ``fit``).
``tests/test_sklearn_compat.py`` checks that it still exists and raises as expected.

Checked on scikit-learn 1.6.0, 1.6.1, 1.7.2, 1.8.0 and 1.9.1 (the range of ``pyproject.toml``;
``make test-oldest`` runs part of the suite on 1.6.1): every name above lives where it is
imported from, with the same signature and behaviour, in each. The differences seen, none of
which the project depends on:

* a constraint list's ``"nan"`` must be the string: scikit-learn accepts a float NaN there
  only from 1.7;
* ``_fit_context`` also enters scikit-learn's callback context from 1.9 (a no-op for
  estimators without callbacks);
* ``_safe_indexing`` lives in ``sklearn.utils._indexing`` in all of them;
  ``sklearn.utils`` re-exports it (it is in scikit-learn's API reference), and that
  documented spelling is the one imported here.

Raise the upper bound of ``scikit-learn`` in ``pyproject.toml`` only after checking these
names on the new release (and updating the versions listed above).

Examples
--------
>>> from numbers import Integral
>>> from skspider._sklearn_compat import Interval, InvalidParameterError, validate_params
>>> @validate_params({"k": [Interval(Integral, 1, None, closed="left")]},
...                  prefer_skip_nested_validation=True)
... def top(k):
...     return k
>>> top(k=2)
2
>>> try:
...     top(k=0)
... except InvalidParameterError as exc:
...     print(isinstance(exc, ValueError))
True
"""

from __future__ import annotations

from sklearn.base import _fit_context as fit_context
from sklearn.utils import _safe_indexing as safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_params,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "fit_context",
    "safe_indexing",
    "validate_params",
]
