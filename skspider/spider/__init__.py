"""Model Spider: the learned ranker of pre-trained models and its re-ranking stages."""

from ._estimator_reranker import EstimatorReranker
from ._ranker import SpiderRanker
from ._rerank import RerankTransformer

__all__ = ["EstimatorReranker", "RerankTransformer", "SpiderRanker"]
