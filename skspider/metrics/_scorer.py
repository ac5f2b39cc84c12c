"""scikit-learn scorers for rankers (``scoring=`` in GridSearchCV and cross_validate)."""

from __future__ import annotations

from collections.abc import Callable

from sklearn.metrics import make_scorer

from .._sklearn_compat import StrOptions, validate_params
from ._ranking import mean_ndcg, mean_pearson, mean_weighted_tau, top_k_regret

__all__ = ["get_ranking_scorer", "get_ranking_scorer_names", "make_ranking_scorer"]


@validate_params(
    {"metric": [callable], "greater_is_better": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def make_ranking_scorer(metric: Callable, *, greater_is_better: bool = True, **kwargs) -> Callable:
    """Make a scorer from a ranking metric, for ``scoring=`` in scikit-learn's model selection.

    The scorer calls ``ranker.predict(X)`` and compares it with ``Y`` (the true performances)
    by ``metric(Y, prediction, **kwargs)``. ``nan_policy="omit"`` is passed unless given,
    since NaN in ``Y`` means "unknown" for rankers.

    Parameters
    ----------
    metric : callable
        A function ``metric(Y_true, Y_score, **kwargs) -> float`` of `skspider.metrics`.
    greater_is_better : bool, default=True
        False for losses such as `top_k_regret`; the scorer then returns the negated value.
    **kwargs
        Passed to ``metric``.

    Returns
    -------
    scorer : callable
        ``scorer(ranker, X, Y) -> float``.

    Examples
    --------
    >>> from skspider.metrics import make_ranking_scorer, top_k_regret
    >>> scorer = make_ranking_scorer(top_k_regret, greater_is_better=False, k=3)
    """
    kwargs.setdefault("nan_policy", "omit")
    return make_scorer(
        metric, greater_is_better=greater_is_better, response_method="predict", **kwargs
    )


_NAMES = (
    "ndcg",
    "neg_top1_regret",
    "neg_top3_regret",
    "pearson",
    "weighted_tau",
    "weighted_tau_symmetric",
)


def _registry() -> dict[str, Callable]:
    return {
        "weighted_tau": make_ranking_scorer(mean_weighted_tau),
        "weighted_tau_symmetric": make_ranking_scorer(mean_weighted_tau, convention="symmetric"),
        "pearson": make_ranking_scorer(mean_pearson),
        "ndcg": make_ranking_scorer(mean_ndcg, gains="rank"),
        "neg_top1_regret": make_ranking_scorer(top_k_regret, greater_is_better=False, k=1),
        "neg_top3_regret": make_ranking_scorer(top_k_regret, greater_is_better=False, k=3),
    }


def get_ranking_scorer_names() -> list[str]:
    """Names accepted by `get_ranking_scorer`.

    Examples
    --------
    >>> from skspider.metrics import get_ranking_scorer_names
    >>> "weighted_tau" in get_ranking_scorer_names()
    True
    """
    return list(_NAMES)


@validate_params({"name": [StrOptions(set(_NAMES))]}, prefer_skip_nested_validation=True)
def get_ranking_scorer(name: str) -> Callable:
    """A ranking scorer by name.

    Parameters
    ----------
    name : str
        One of `get_ranking_scorer_names`: "weighted_tau" (the paper's tau_w, the default
        ``score`` of every ranker), "weighted_tau_symmetric", "pearson", "ndcg" (rank gains),
        "neg_top1_regret", "neg_top3_regret".

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> from skspider.metrics import get_ranking_scorer
    >>> scoring = {"tau_w": get_ranking_scorer("weighted_tau"),
    ...            "regret": get_ranking_scorer("neg_top1_regret")}
    """
    return _registry()[name]
