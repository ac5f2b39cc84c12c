"""`RerankTransformer`: re-rank a `SpiderRanker`'s top-k PTMs with their own tokens."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.frozen import FrozenEstimator

from .._sklearn_compat import HasMethods, Interval, StrOptions
from ..base._validation import _is_task_sequence
from ._ranker import SpiderRanker
from ._topk import _TopKReranker

__all__ = ["RerankTransformer"]


class RerankTransformer(_TopKReranker):
    """Model Spider's re-ranking stage over a `SpiderRanker`.

    A ranker (the "Transformer" of the name is the attention network, not a scikit-learn
    transformer). It ranks the zoo with the general task tokens, then appends to the
    sequence of each of the top-``k`` PTMs its own PTM-specific tokens (class centroids in
    that PTM's feature space, ``Task.model_tokens``) and scores those k again
    (`SpiderRanker.rescore`). Only the top-k need a forward pass of their PTM over the
    target data: that is the point. `select` says which PTMs they are (ties in the general
    scores go to the earlier model of ``models_``); `predict` loads only their tokens.

    How the new scores are merged (``reorder``):

    * ``"all"`` (the authors' released code): every PTM keeps its score, the top-k their
      new one, and all are sorted together, so a top-k PTM whose own tokens speak against
      it can drop below the rest (and ``k=1`` can change the ranking);
    * ``"top_k"``: the re-scored top-k stay above the rest, ordered among themselves by
      their new scores; the rest keep the general order.

    ``k`` is a hyper-parameter. The released code picks it on the test sets; here it is
    chosen on training tasks only: by `~sklearn.model_selection.GridSearchCV` over ``k``,
    or with ``k="auto"``, on a validation split of the training tasks (or, for a ranker
    fitted beforehand and wrapped in `~sklearn.frozen.FrozenEstimator`, on all the tasks
    passed to ``fit``, which that ranker never learnt from).

    Parameters
    ----------
    ranker : SpiderRanker or FrozenEstimator of a fitted SpiderRanker, default=None
        The ranker whose network is used; ``None`` means ``SpiderRanker()``. Cloned and
        fitted in ``fit``; wrap a fitted ranker in `~sklearn.frozen.FrozenEstimator` to use
        it as it is (``fit`` then only chooses ``k``). Both survive `~sklearn.base.clone`,
        so `~sklearn.model_selection.cross_validate` works with either.
    k : int or "auto", default=3
        How many top PTMs are re-scored with their own tokens (0: no re-ranking).
    reorder : {"all", "top_k"}, default="all"
        How the re-scored top-k are merged with the rest (see above). The default was
        chosen on validation problems of the synthetic generator with PTM-specific signal
        (``benchmarks/study_spider_defaults.py``, ``docs/spider.rst``).
    k_candidates : sequence of int or None, default=None
        The values tried when ``k="auto"``. None: 0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50,
        70, 100, ... up to the zoo size, which is always tried.
    validation_fraction : float, default=0.2
        Share of the training tasks held out to choose ``k`` when ``k="auto"`` (the ranker
        is then fitted on the rest, k chosen, and the ranker refitted on all tasks).
        Unused with a frozen ranker.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split of ``k="auto"``.

    Attributes
    ----------
    ranker_ : SpiderRanker
        The fitted ranker (for a `~sklearn.frozen.FrozenEstimator`, the ranker it wraps).
    k_ : int
        The ``k`` used by ``predict``.
    k_candidates_ : list of int
        The values tried (``k="auto"`` only).
    k_scores_ : dict of int to float
        Mean tau_w of each candidate on the validation tasks (``k="auto"`` only).
    models_ : ndarray of shape (n_models,)
        Model names, as ``ranker_.models_``.
    n_models_ : int
        Number of models.
    n_features_in_ : int
        Width of the general task tokens.

    See Also
    --------
    SpiderRanker : The ranker whose network this re-uses.
    EstimatorReranker : Re-rank the top-k with a transferability estimator instead.

    Notes
    -----
    PTM-specific tokens come from ``Task.model_tokens`` (keys: the names in ``models_``, as
    strings). A top-k PTM without tokens on a task, or without a projection in the ranker
    (its tokens were absent from the training tasks), is re-scored with general tokens
    only. With plain-array tasks (no `Task`), re-ranking changes nothing.

    References
    ----------
    .. [1] Y.-K. Zhang, T.-J. Huang, Y.-X. Ding, D.-C. Zhan and H.-J. Ye. "Model Spider:
       Learning to Rank Pre-Trained Models Efficiently". NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import Task
    >>> from skspider.spider import RerankTransformer, SpiderRanker
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.normal(size=(12, 4))
    >>> tasks = [Task(y=np.arange(3), tokens=rng.normal(size=(3, 6)),
    ...               model_tokens={m: row[m] * np.ones((3, 2)) for m in range(4)})
    ...          for row in Y]   # each PTM's own tokens tell how good it is
    >>> spider = SpiderRanker(d_model=8, max_iter=30, lr=1e-2, device="cpu", random_state=0)
    >>> rerank = RerankTransformer(spider, k=2).fit(tasks, Y)
    >>> rerank.predict_rank(tasks[:1]).shape
    (1, 4)
    >>> [len(models) for models in rerank.select(tasks[:3])]  # the PTMs re-scored
    [2, 2, 2]

    A ranker fitted beforehand is used as it is when frozen:

    >>> from sklearn.frozen import FrozenEstimator
    >>> fitted = rerank.ranker_
    >>> auto = RerankTransformer(FrozenEstimator(fitted), k="auto").fit(tasks, Y)
    >>> auto.k_candidates_  # up to the zoo size
    [0, 1, 2, 3, 4]
    """

    _parameter_constraints: dict = {
        "ranker": [HasMethods(["fit", "predict"]), None],
        "k": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "reorder": [StrOptions({"all", "top_k"})],
        "k_candidates": ["array-like", None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        ranker: SpiderRanker | FrozenEstimator | None = None,
        *,
        k: int | str = 3,
        reorder: str = "all",
        k_candidates: Sequence[int] | None = None,
        validation_fraction: float = 0.2,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.ranker = ranker
        self.k = k
        self.reorder = reorder
        self.k_candidates = k_candidates
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    # -- the hooks of _TopKReranker ------------------------------------------------------
    def _default_ranker(self) -> SpiderRanker:
        return SpiderRanker()

    @staticmethod
    def _check_ranker(inner: Any) -> None:
        if not isinstance(inner, SpiderRanker):
            raise TypeError(
                "ranker must be a SpiderRanker (or a FrozenEstimator of a fitted one), got "
                f"{type(inner).__name__}: re-ranking uses its network."
            )

    @staticmethod
    def _check_X(X: Any) -> Any:
        return X  # the SpiderRanker validates it

    @staticmethod
    def _rescore(ranker: SpiderRanker, X: Any, general: np.ndarray, top: np.ndarray) -> np.ndarray:
        if not _is_task_sequence(X):
            # Token arrays carry no PTM-specific tokens: the general scores, unchanged.
            return np.take_along_axis(general, top, axis=1)
        return ranker.rescore(X, ranker.models_[top])

    def _merge(self, general: np.ndarray, top: np.ndarray, new: np.ndarray) -> np.ndarray:
        final = general.copy()
        if self.reorder == "top_k" and top.shape[1] < general.shape[1]:
            rest = np.ones_like(general, dtype=bool)
            np.put_along_axis(rest, top, False, axis=1)
            floor = np.where(rest, general, -np.inf).max(axis=1, keepdims=True)
            new = new - new.min(axis=1, keepdims=True) + floor + 1.0
        np.put_along_axis(final, top, new, axis=1)
        return final
