"""Zoo -> cached pools -> sampled tasks -> tokens and proxy ranks, on small torch models."""

import joblib
import numpy as np
import pytest
import torch
from proxy_estimators import FisherRatio, NegConditionalEntropy
from torch import nn

from skspider.tasks import TaskTokenizer, proxy_ranks, sample_tasks
from skspider.zoo import CachedArray, ModelZoo, extract_features, make_task


def labelled_pool(seed, n_classes, per_class=10):
    g = torch.Generator().manual_seed(seed)
    y = np.repeat(np.arange(n_classes), per_class)
    centres = torch.randn(n_classes, 8, generator=g) * 2
    x = centres[torch.as_tensor(y)] + torch.randn(len(y), 8, generator=g)
    return x, y


def net(seed, width):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, width), nn.ReLU(), nn.Linear(width, 5))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_zoo_pools_to_proxy_ranks_and_tokens(tmp_path, n_jobs):
    zoo = ModelZoo()
    for i, width in enumerate([4, 8, 16]):
        zoo.add(f"net{width}", net(i, width), family="mlp", version=f"seed{i}")
    encoder = net(99, 12)
    pools = []
    for p, n_classes in enumerate([4, 5, 3]):
        x, y = labelled_pool(p, n_classes)
        general = extract_features(encoder, x, device="cpu").features
        pools.append(
            make_task(
                zoo,
                x,
                y,
                X=general,
                cache=tmp_path,
                dataset_key=f"pool{p}",
                name=f"p{p}",
                device="cpu",
            )
        )
    assert isinstance(pools[0].model_features["net4"], CachedArray)
    tasks = sample_tasks(pools, n_tasks=6, n_way=4, n_shot=5, random_state=0)
    assert all(callable(t.model_features["net8"]) for t in tasks)

    tokens = TaskTokenizer().fit_transform(tasks)
    assert all(tok.shape == (4, 12) for tok in tokens)

    with joblib.parallel_config(backend="loky"):
        ranks = proxy_ranks(tasks, [FisherRatio(), NegConditionalEntropy()], n_jobs=n_jobs)
    assert ranks.shape == (6, 3) and list(ranks.columns) == zoo.names
    assert ranks.dtypes.eq(np.int64).all() and ranks.to_numpy().max() <= 2
    # The labels equal a computation on eagerly extracted features.
    t = tasks[0]
    rows = [(name, t.metadata["indices"][name]) for name in t.metadata["pools"]]
    pool_x = {f"p{p}": labelled_pool(p, n)[0] for p, n in enumerate([4, 5, 3])}
    eager = np.concatenate(
        [extract_features(zoo["net16"], pool_x[name], device="cpu").features[r] for name, r in rows]
    )
    np.testing.assert_allclose(t.get_model_features("net16"), eager, rtol=1e-6)
