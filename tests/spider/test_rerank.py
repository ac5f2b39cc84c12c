"""RerankTransformer: re-ranking the top-k PTMs with their own tokens, and choosing k."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator

from skspider.base import Task
from skspider.spider import RerankTransformer, SpiderRanker


def test_specific_tokens_improve_the_ranking(specific_split, specific_ranker):
    train, Y, test, Y_test = specific_split
    general = RerankTransformer(FrozenEstimator(specific_ranker), k=0).fit(train, Y)
    reranked = RerankTransformer(FrozenEstimator(specific_ranker), k=5).fit(train, Y)
    np.testing.assert_array_equal(general.predict(test), specific_ranker.predict(test))
    assert reranked.score(test, Y_test) > general.score(test, Y_test) + 0.3


def test_top_k_stay_on_top_and_rest_keeps_general_order(specific_split, specific_ranker):
    _, _, test, _ = specific_split
    general = specific_ranker.predict(test)
    rerank = RerankTransformer(FrozenEstimator(specific_ranker), k=2, reorder="top_k")
    scores = rerank.fit(test[:1], None).predict(test)
    top = np.argsort(-general, axis=1, kind="stable")
    for g, s, order in zip(general, scores, top):
        assert set(np.argsort(-s)[:2]) == set(order[:2])
        rest = order[2:]
        np.testing.assert_array_equal(s[rest], g[rest])


def test_reorder_all_lets_a_top_k_model_drop(specific_split, specific_ranker):
    _, _, test, Y_test = specific_split
    general = specific_ranker.predict(test)
    top = np.argsort(-general, axis=1, kind="stable")
    scores = RerankTransformer(FrozenEstimator(specific_ranker), k=2, reorder="all")
    scores = scores.fit(test[:1], None).predict(test)
    dropped = 0
    for g, s, order in zip(general, scores, top):
        rest = order[2:]
        np.testing.assert_array_equal(s[rest], g[rest])  # the rest keep their scores
        dropped += int(s[order[:2]].min() < s[rest].max())
    assert dropped > 0  # some top-2 PTM fell below a PTM outside the top 2

    # k=1 re-ranks too (it was a no-op when the top-k stayed on top).
    one = RerankTransformer(FrozenEstimator(specific_ranker), k=1, reorder="all")
    ranks = one.fit(test[:1], None).predict_rank(test)
    assert (ranks != specific_ranker.predict_rank(test)).any()
    top_k = RerankTransformer(FrozenEstimator(specific_ranker), k=1, reorder="top_k")
    np.testing.assert_array_equal(
        top_k.fit(test[:1], None).predict_rank(test), specific_ranker.predict_rank(test)
    )
    assert one.score(test, Y_test) > top_k.score(test, Y_test)


def test_k_auto_grid_reaches_the_zoo_size(specific_split, specific_ranker):
    from skspider.spider._topk import k_grid as _k_grid

    train, Y, _, _ = specific_split
    rerank = RerankTransformer(FrozenEstimator(specific_ranker), k="auto").fit(train, Y)
    assert rerank.k_candidates_ == [0, 1, 2, 3, 5] and set(rerank.k_scores_) == {0, 1, 2, 3, 5}
    assert _k_grid(20) == [0, 1, 2, 3, 5, 7, 10, 15, 20]
    assert _k_grid(42)[-3:] == [20, 30, 42] and _k_grid(1000)[-1] == 1000


def test_unknown_model_tokens_keys_at_predict(specific_split, specific_ranker):
    from skspider.base import Task

    _, _, test, _ = specific_split
    typo = Task(y=np.arange(2), tokens=test[0].tokens, model_tokens={"ptm_0": np.ones((2, 2))})
    rerank = RerankTransformer(FrozenEstimator(specific_ranker), k=2).fit(test[:1], None)
    with pytest.raises(ValueError, match=r"model_tokens has keys \['ptm_0'\]"):
        rerank.predict([typo])


def test_k_auto_chooses_on_validation_tasks(specific_split, specific_ranker):
    train, Y, _, _ = specific_split
    rerank = RerankTransformer(FrozenEstimator(specific_ranker), k="auto", k_candidates=[0, 2, 5])
    rerank.fit(train, Y)
    assert set(rerank.k_scores_) == {0, 2, 5}
    assert rerank.k_ == max(rerank.k_scores_, key=rerank.k_scores_.get) == 5
    assert rerank.ranker_ is specific_ranker


def test_k_auto_with_inner_fit_refits_on_all_tasks(specific_split):
    train, Y, _, _ = specific_split
    spider = SpiderRanker(d_model=8, max_iter=6, random_state=0, max_specific_tokens=5)
    rerank = RerankTransformer(spider, k="auto", k_candidates=[0, 3], random_state=0)
    rerank.fit(train, Y)
    assert rerank.k_ in (0, 3) and rerank.ranker_ is not spider
    assert not hasattr(spider, "module_")  # the given ranker is cloned, never fitted
    assert list(rerank.models_) == list(Y.columns)


def test_plain_arrays_make_reranking_a_no_op(specific_split, specific_ranker):
    _, _, test, _ = specific_split
    tokens = [t.tokens for t in test]
    rerank = RerankTransformer(FrozenEstimator(specific_ranker), k=3).fit(tokens[:1], None)
    np.testing.assert_array_equal(rerank.predict(tokens), specific_ranker.predict(tokens))


def test_frozen_ranker_must_be_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RerankTransformer(FrozenEstimator(SpiderRanker())).fit(np.ones((2, 1)), np.ones((2, 2)))


def test_ranker_must_be_a_spider_ranker():
    from skspider.dummy import PriorRanker

    with pytest.raises(TypeError, match="must be a SpiderRanker"):
        RerankTransformer(PriorRanker()).fit(np.ones((2, 1)), np.ones((2, 2)))


def test_bad_k():
    with pytest.raises(ValueError, match="k"):
        RerankTransformer(k=-1).fit(np.ones((2, 1)), np.eye(2))


def _spied(tasks, counter):
    """Copies of ``tasks`` whose PTM-specific tokens are loaders counting their calls."""

    def loader(value, key):
        def load():
            counter[key] += 1
            return value

        return load

    return [
        Task(y=t.y, tokens=t.tokens,
             model_tokens={m: loader(v, (i, m)) for m, v in t.model_tokens.items()})
        for i, t in enumerate(tasks)
    ]  # fmt: skip


def test_select_names_the_ptms_predict_loads(specific_split, specific_ranker):
    from collections import Counter

    _, _, test, _ = specific_split
    counter = Counter()
    spied = _spied(test, counter)
    rerank = RerankTransformer(FrozenEstimator(specific_ranker), k=2).fit(test[:1], None)
    selected = rerank.select(spied)
    general = specific_ranker.predict(test)
    top = np.argsort(-general, axis=1, kind="stable")[:, :2]
    assert [list(s) for s in selected] == [list(specific_ranker.models_[row]) for row in top]
    assert not counter  # selecting needs no PTM forward pass
    rerank.predict(spied)
    for i, names in enumerate(selected):
        assert {m: c for (t, m), c in counter.items() if t == i} == dict.fromkeys(names, 1)


def test_rescore_is_public_and_on_the_scale_of_predict(specific_split, specific_ranker):
    _, _, test, _ = specific_split
    names = [["ptm3", "ptm0"]] * len(test)
    plain = [Task(y=t.y, tokens=t.tokens) for t in test]  # no PTM-specific tokens
    general = specific_ranker.predict(plain)
    np.testing.assert_allclose(
        specific_ranker.rescore(plain, names), general[:, [3, 0]], rtol=1e-5, atol=1e-6
    )
    own = specific_ranker.rescore(test, names)
    assert own.shape == (len(test), 2) and not np.allclose(own, general[:, [3, 0]])
    with pytest.raises(ValueError, match=r"names \['nope'\]"):
        specific_ranker.rescore(test, [["nope"]] * len(test))
    with pytest.raises(ValueError, match="one row per task"):
        specific_ranker.rescore(test, [["ptm0"]])
