"""skspider: which pre-trained model should I fine-tune?

Model Spider (Zhang et al., NeurIPS 2023) and the transferability baselines it is measured
against, as scikit-learn-compatible estimators. The map (see ``docs/layout.rst``):

- `skspider.base`: the `Task` container, the ranker base class, input validation;
- `skspider.metrics`: weighted tau (paper and symmetric), top-k regret, Pearson, NDCG;
- `skspider.transferability`: LogME, LEEP, NCE, H-score and the other baselines, and
  `TransferabilityRanker`;
- `skspider.zoo`: model zoos, feature extraction through forward hooks, the feature cache;
- `skspider.tasks`: task sampling, `TaskTokenizer`, proxy ranks;
- `skspider.spider`: `SpiderRanker` and `RerankTransformer`;
- `skspider.dummy`: `PriorRanker`, the baseline that ignores the task;
- `skspider.datasets`: the paper's published figures;
- `skspider.utils`: estimator discovery.
"""

from ._version import __version__

__all__ = ["__version__"]
