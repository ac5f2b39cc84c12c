"""`make_rankers`: the rankers a learned ranker is shown against, ready for the protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["make_rankers"]


def make_rankers(
    ranker: Any,
    *,
    train_tokens: Sequence[np.ndarray],
    train_labels: pd.DataFrame,
    proxy_labels: pd.DataFrame | None = None,
    metadata: pd.DataFrame | None = None,
    rerank_k: int | None = None,
    estimator_rerank_k: int | None = None,
    estimator_rerank: str = "LogME",
    estimators: Sequence[str] | None = None,
    baselines: bool = True,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A fitted `~skspider.spider.SpiderRanker` and the rankers it must beat, each ready for
    `evaluate_rankers` (its ``predict`` takes raw tasks).

    * ``spider``: the ranker on the task's general tokens (``TaskTokenizer`` then the
      frozen ranker): one encoder pass;
    * ``spider+rerank``: its top ``rerank_k`` re-scored with their own tokens
      (`~skspider.spider.RerankTransformer`): the encoder and k PTM passes (when
      ``rerank_k`` is given and the ranker has PTM-specific projections);
    * ``spider+LogME`` (``spider+<estimator_rerank>``): its top ``estimator_rerank_k``
      re-ordered by a transferability estimator on their own features
      (`~skspider.spider.EstimatorReranker`): the encoder and k PTM passes (when
      ``estimator_rerank_k`` is given);
    * with ``baselines``: ``prior`` (`~skspider.dummy.PriorRanker` of ``train_labels``: a
      leaderboard of the training records), ``proxy prior`` (of ``proxy_labels``),
      ``metadata`` (bigger is better, the ``n_params`` column of ``metadata``), ``ridge``
      and ``nearest`` (fitted on ``train_tokens`` and ``train_labels``, as the ranker);
    * each transferability estimator of ``estimators`` (None: every one), through
      `~skspider.transferability.TransferabilityRanker` (a PTM it cannot score ranks last).

    Parameters
    ----------
    ranker : SpiderRanker
        Fitted; its ``models_`` name the zoo.
    train_tokens : sequence of ndarray
        The training tasks' token sets.
    train_labels : DataFrame of shape (n_train_tasks, n_models)
        Their labels (fine-tuning records, or proxy ranks).
    proxy_labels : DataFrame, default=None
        Proxy ranks of the training tasks (for ``proxy prior``).
    metadata : DataFrame, default=None
        The zoo's metadata (`~skspider.zoo.ModelZoo.metadata`), for ``metadata``.
    rerank_k : int, default=None
        The re-ranking k (chosen on validation tasks); None: no re-ranking row.
    estimator_rerank_k : int, default=None
        The k of the estimator re-ranker (chosen on validation tasks); None: no such row.
    estimator_rerank : str, default="LogME"
        The estimator of that re-ranker.
    estimators : sequence of str, default=None
        Transferability estimators by name; ``()`` for none.
    baselines : bool, default=True
        Include the simple baselines.

    Returns
    -------
    rankers : dict of str to estimator
    skipped : dict of str to str
        Rankers left out, with the reason (an estimator needing side data, say).
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline

    from ..dummy import MetadataRanker, NearestTasksRanker, PriorRanker, RidgeRanker
    from ..spider import EstimatorReranker, RerankTransformer
    from ..tasks import TaskTokenizer
    from ..transferability import TransferabilityRanker, get_estimator, list_estimators

    models = [str(m) for m in ranker.models_]
    zoo = pd.DataFrame(np.zeros((1, len(models))), columns=models)
    # A tokenizer only checks and records the width of the general features in fit.
    width = [_skeleton(ranker.n_features_in_)]

    def tokenizer(**params):
        return TaskTokenizer(**params).fit(width)

    rankers: dict[str, Any] = {"spider": make_pipeline(tokenizer(), FrozenEstimator(ranker))}
    skipped: dict[str, str] = {}
    if rerank_k is not None:
        if ranker.specific_widths_:
            rerank = RerankTransformer(FrozenEstimator(ranker), k=int(rerank_k))
            rankers["spider+rerank"] = make_pipeline(
                tokenizer(model_tokens=True),
                rerank.fit(list(train_tokens[:2]), train_labels.iloc[:2]),
            )
        else:
            skipped["spider+rerank"] = "the ranker has no PTM-specific projections"
    if estimator_rerank_k is not None:
        rerank = EstimatorReranker(
            FrozenEstimator(ranker), estimator=estimator_rerank, k=int(estimator_rerank_k),
            missing="nan", error_score=np.nan,
        )  # fmt: skip
        label = f"spider+{type(get_estimator(estimator_rerank)).__name__}"
        rankers[label] = make_pipeline(tokenizer(model_tokens=True), rerank.fit(width, zoo))
    if baselines:
        rankers["prior"] = PriorRanker().fit(train_tokens, train_labels)
        if proxy_labels is not None:
            rankers["proxy prior"] = PriorRanker().fit(train_tokens, proxy_labels)
        if metadata is not None:
            rankers["metadata"] = MetadataRanker(metadata=metadata, column="n_params").fit(
                train_tokens, train_labels
            )
        rankers["ridge"] = make_pipeline(tokenizer(), RidgeRanker().fit(train_tokens, train_labels))
        rankers["nearest"] = make_pipeline(
            tokenizer(), NearestTasksRanker().fit(train_tokens, train_labels)
        )
    names = sorted(list_estimators()) if estimators is None else list(estimators)
    skeleton = [_skeleton()]
    for name in names:
        est = get_estimator(name)
        label = type(est).__name__
        if est.side_inputs():
            skipped[label] = f"needs side data ({', '.join(est.side_inputs())})"
            continue
        rankers[label] = TransferabilityRanker(
            est, missing="nan", error_score=np.nan, random_state=0
        ).fit(skeleton, zoo)
    return rankers, skipped


def _skeleton(width: int | None = None):
    from ..base import Task

    # TransferabilityRanker.fit reads the zoo's names from y (the task is only counted); a
    # TaskTokenizer the width of X.
    X = None if width is None else np.zeros((2, width))
    return Task(y=np.array([0, 1]), X=X)
