"""Model Spider: the learned ranker of pre-trained models and its re-ranking stage."""

from ._ranker import SpiderRanker
from ._rerank import RerankTransformer

__all__ = ["RerankTransformer", "SpiderRanker"]
