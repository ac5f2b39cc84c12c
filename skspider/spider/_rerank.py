"""`RerankTransformer`: re-rank a `SpiderRanker`'s top-k PTMs with their own tokens."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import HasMethods, Interval, StrOptions, fit_context, safe_indexing
from ..base import BaseRanker, Task
from ._ranker import SpiderRanker
from ._training import split_tasks

__all__ = ["RerankTransformer"]


class RerankTransformer(BaseRanker):
    """Model Spider's re-ranking stage over a `SpiderRanker`.

    A ranker (the "Transformer" of the name is the attention network, not a scikit-learn
    transformer). It ranks the zoo with the general task tokens, then appends to the
    sequence of each of the top-``k`` PTMs its own PTM-specific tokens (class centroids in
    that PTM's feature space, ``Task.model_tokens``) and scores those k again. Only the top-k
    need a forward pass of their PTM over the target data: that is the point.

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

    # -- fit --------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any) -> RerankTransformer:
        """Fit the ranker (unless frozen) and choose ``k`` (when ``k="auto"``).

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            As for `SpiderRanker.fit`; `Task` objects with ``model_tokens`` make re-ranking
            possible.
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``: proxy ranks or performances, larger = better, NaN = unknown.

        Returns
        -------
        self : RerankTransformer
        """
        candidates = None
        if self.k_candidates is not None:
            candidates = sorted({int(c) for c in np.atleast_1d(self.k_candidates)})
            if self.k == "auto" and (not candidates or min(candidates) < 0):
                raise ValueError(f"k_candidates must be non-negative integers, got {candidates}.")
        ranker = SpiderRanker() if self.ranker is None else self.ranker
        frozen = isinstance(ranker, FrozenEstimator)
        inner = ranker.estimator if frozen else ranker
        if not isinstance(inner, SpiderRanker):
            raise TypeError(
                "ranker must be a SpiderRanker (or a FrozenEstimator of a fitted one), got "
                f"{type(inner).__name__}: re-ranking uses its network."
            )
        if frozen:
            check_is_fitted(inner)
            self.ranker_ = inner
            if self.k == "auto":
                self._choose_k(inner, X, y, candidates)
        elif self.k == "auto":
            rng = check_random_state(self.random_state)
            train, valid = split_tasks(len(X), self.validation_fraction, rng, what="k='auto'")
            held_out = clone(inner).fit(safe_indexing(X, train), safe_indexing(y, train))
            self._choose_k(held_out, safe_indexing(X, valid), safe_indexing(y, valid), candidates)
            self.ranker_ = clone(inner).fit(X, y)
        else:
            self.ranker_ = clone(inner).fit(X, y)
        if self.k != "auto":
            self.k_ = int(self.k)
        self._copy_fitted()
        return self

    def _copy_fitted(self) -> None:
        self.models_ = self.ranker_.models_
        self.n_models_ = self.ranker_.n_models_
        self.n_features_in_ = self.ranker_.n_features_in_

    def _choose_k(self, ranker: SpiderRanker, X: Any, y: Any, candidates: list[int] | None) -> None:
        from ..metrics import mean_weighted_tau

        if candidates is None:
            candidates = _k_grid(ranker.n_models_)
        self.k_candidates_ = candidates
        Y = ranker._validate_targets(y, reset=False)
        keep = (~np.isnan(Y)).sum(axis=1) >= 2
        if not keep.any():
            raise ValueError("k='auto' needs validation tasks with at least 2 known models.")
        sets, tasks = ranker._inputs(X, reset=False)
        general = ranker._decision(sets)
        self.k_scores_ = {}
        for k in candidates:
            scores = self._rerank(ranker, sets, tasks, general, k, self.reorder)
            self.k_scores_[k] = float(mean_weighted_tau(Y[keep], scores[keep], nan_policy="omit"))
        # Best score; the smallest k among ties (fewer PTM forward passes).
        self.k_ = max(candidates, key=lambda k: (self.k_scores_[k], -k))

    # -- prediction -------------------------------------------------------------------------
    @staticmethod
    def _rerank(
        ranker: SpiderRanker,
        sets: list[np.ndarray],
        tasks: list[Task] | None,
        general: np.ndarray,
        k: int,
        reorder: str,
    ) -> np.ndarray:
        M = general.shape[1]
        k = min(k, M)
        if k == 0 or tasks is None:
            return general
        # Stable: ties in the general scores go to the lower model index.
        top = np.argsort(-general, axis=1, kind="stable")[:, :k]
        models = ranker.models_
        widths = ranker.module_.specific_widths

        def pairs(index: np.ndarray) -> list:
            out = []
            for row, t in enumerate(index):
                # Loads only the top-k's tokens; unknown keys of the task are an error.
                found = ranker._task_specific(tasks[t], t, models=top[t])
                for slot, m in enumerate(top[t]):
                    if m not in widths or m not in found:
                        continue
                    tokens = found[m]
                    if tokens.shape[1] != widths[m]:
                        raise ValueError(
                            f"task {t}: the PTM-specific tokens of model {models[m]!r} have "
                            f"width {tokens.shape[1]}, but {widths[m]} in training."
                        )
                    out.append((row, slot, int(m), tokens))
            return out

        new = ranker._decision(sets, model_index=top, pairs=pairs)
        final = general.copy()
        if reorder == "top_k" and k < M:
            rest = np.ones_like(general, dtype=bool)
            np.put_along_axis(rest, top, False, axis=1)
            floor = np.where(rest, general, -np.inf).max(axis=1, keepdims=True)
            new = new - new.min(axis=1, keepdims=True) + floor + 1.0
        np.put_along_axis(final, top, new, axis=1)
        return final

    def predict(self, X: Any) -> np.ndarray:
        """Scores of every model: the re-scored top-k above the rest.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            As for `SpiderRanker.predict`; only `Task` objects with ``model_tokens`` are
            re-ranked.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
            Larger = better.
        """
        check_is_fitted(self)
        sets, tasks = self.ranker_._inputs(X, reset=False)
        general = self.ranker_._decision(sets)
        return self._rerank(self.ranker_, sets, tasks, general, self.k_, self.reorder)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _k_grid(n_models: int) -> list[int]:
    """0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, ... below ``n_models``, and ``n_models``."""
    grid, decade = {0, n_models}, 1
    while decade <= n_models:
        grid.update(v for v in (decade, 1.5 * decade, 2 * decade, 3 * decade, 5 * decade,
                                7 * decade) if v <= n_models and v == int(v))  # fmt: skip
        decade *= 10
    return sorted(int(v) for v in grid)
